// static_server: a small HTTP/1.1 static file server on io::runtime, a
// context per core, each with its own listener on the shared port
// (SO_REUSEPORT: the kernel spreads the connections). Keep-alive,
// Content-Length, 404 for what is not there, strict request parsing
// (request.hpp) that answers 400 (or 405, 413, 431, 505) and closes.
//
//   static_server DIR [--port P] [--contexts N]
// Prints "listening on 127.0.0.1:PORT" first (P 0 or none: a free port) and
// serves until SIGTERM or SIGINT, then exits 0.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <switchyard/io.hpp>

#include "static_server/request.hpp"

namespace io = switchyard::io;
using switchyard::task;
using namespace std::chrono_literals;

namespace {

constexpr auto idle_timeout = 30s;

const char* status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

const char* content_type(const std::string& path) {
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  if (ext == "html" || ext == "htm") return "text/html";
  if (ext == "txt") return "text/plain";
  if (ext == "css") return "text/css";
  if (ext == "js") return "text/javascript";
  if (ext == "json") return "application/json";
  if (ext == "png") return "image/png";
  return "application/octet-stream";
}

std::string head_of(int status, std::size_t length, const char* type, bool keep_alive) {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\nServer: switchyard-static\r\n";
  h += "Content-Length: " + std::to_string(length) + "\r\n";
  if (type) h += std::string("Content-Type: ") + type + "\r\n";
  h += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return h;
}

/// What a target names: a folder's index.html.
std::string file_of(std::string path) {
  if (path.back() == '/') path += "index.html";
  return path;
}

/// The file under root at `path`, or nullopt when there is no regular file.
task<std::optional<std::string>> read_file(io::context& ctx, const std::string& root, std::string path) {
  io::file f;
  try {
    f = co_await io::file::open(ctx, root + path, O_RDONLY);
  } catch (const io::cancelled_error&) {
    throw;
  } catch (const std::system_error&) {
    co_return std::nullopt;  // not there, or not ours to read
  }
  struct stat st{};
  if (::fstat(f.native_handle(), &st) != 0 || !S_ISREG(st.st_mode)) {
    co_await f.close();
    co_return std::nullopt;
  }
  std::string body(static_cast<std::size_t>(st.st_size), '\0');
  co_await f.read_exact_at(std::as_writable_bytes(std::span(body)), 0);
  co_await f.close();
  co_return body;
}

task<void> serve_connection(io::context& ctx, const std::string& root, io::socket peer) {
  std::string in;
  char buf[4096];
  try {
    for (;;) {
      std::optional<std::size_t> end;
      while (!(end = static_server::head_end(in))) {
        if (in.size() > static_server::max_head_bytes) break;
        const std::size_t n = co_await peer.recv(std::as_writable_bytes(std::span(buf)), idle_timeout);
        if (n == 0) co_return;  // the client closed (between requests, or mid-head)
        in.append(buf, n);
      }
      std::string reply;
      bool keep_alive = false;
      try {
        if (!end) throw static_server::rejection{431, "the request head is longer than 8 KiB"};
        const static_server::request r = static_server::parse_head(std::string_view(in).substr(0, *end));
        in.erase(0, *end);
        keep_alive = r.keep_alive;
        const std::string path = file_of(r.path);
        const std::optional<std::string> body = co_await read_file(ctx, root, path);
        if (!body) {
          const std::string text = "not found\n";
          reply = head_of(404, text.size(), "text/plain", keep_alive) + (r.method == "HEAD" ? "" : text);
        } else {
          reply = head_of(200, body->size(), content_type(path), keep_alive);
          if (r.method == "GET") reply += *body;
        }
      } catch (const static_server::rejection& no) {
        const std::string text = no.reason + "\n";
        reply = head_of(no.status, text.size(), "text/plain", false) + text;
        keep_alive = false;
      }
      co_await peer.send_all(std::as_bytes(std::span(reply)), idle_timeout);
      if (!keep_alive) {
        co_await peer.shutdown();
        co_return;
      }
    }
  } catch (const io::cancelled_error&) {
    // The server is stopping.
  } catch (const std::system_error&) {
    // The client went (reset, closed mid-response) or went quiet: its connection ends here.
  }
}

task<void> accept_on(io::runtime& rt, std::size_t i, const std::string& root, io::socket listener) {
  for (;;) {
    io::socket peer = co_await listener.accept();
    rt.spawn_on(i, serve_connection(rt.at(i), root, std::move(peer)));
  }
}

int usage() {
  std::fprintf(stderr, "usage: static_server DIR [--port P] [--contexts N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string root = argv[1];
  unsigned long port = 0, contexts = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--port" || a == "--contexts") && i + 1 < argc) {
      try {
        (a == "--port" ? port : contexts) = std::stoul(argv[++i]);
      } catch (const std::exception&) {
        return usage();
      }
    } else {
      return usage();
    }
  }
  if (port > 65535) return usage();
  struct stat st{};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::fprintf(stderr, "static_server: %s is not a folder\n", root.c_str());
    return 1;
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  // The runtime's threads inherit this mask: the signals wait for main.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    io::runtime rt(contexts);
    std::vector<io::socket> listeners;
    listeners.push_back(io::socket::listen(rt.at(0), "127.0.0.1", static_cast<std::uint16_t>(port), 4096, true));
    const std::uint16_t bound = listeners[0].local_port();
    for (std::size_t i = 1; i < rt.size(); ++i) listeners.push_back(io::socket::listen(rt.at(i), "127.0.0.1", bound, 4096, true));
    for (std::size_t i = 0; i < rt.size(); ++i) rt.spawn_on(i, accept_on(rt, i, root, std::move(listeners[i])));
    std::printf("listening on 127.0.0.1:%u\n", bound);
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    rt.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "static_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
