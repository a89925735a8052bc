#include "nginx/nginx.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/run_program.hpp"

namespace fs = std::filesystem;

namespace switchyard::bench {
namespace {

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("no free loopback port for nginx");
  return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string nginx_program() {
  for (const char* dir : {"/usr/sbin", "/usr/local/sbin", "/usr/bin"}) {
    const std::string p = std::string(dir) + "/nginx";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  throw std::runtime_error("nginx is not installed (Debian: apt-get install nginx; ./sy bench installs it)");
}

}  // namespace

nginx_server::nginx_server(const std::string& fetch_pages, std::size_t pages, std::size_t page_bytes) {
  start(
      [&](const std::string& root) {
        if (run_program({fetch_pages, "make-pages", root, std::to_string(pages), std::to_string(page_bytes)}) != 0) {
          throw std::runtime_error("fetch_pages make-pages did not write the pages");
        }
      },
      nginx_site{});
}

nginx_server::nginx_server(const std::function<void(const std::string& root)>& write_root, const nginx_site& site) {
  start(write_root, site);
}

void nginx_server::start(const std::function<void(const std::string& root)>& write_root, const nginx_site& site) {
  const std::string program = nginx_program();
  std::string pattern = (fs::temp_directory_path() / "switchyard-nginx-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot make a folder for nginx");
  dir_ = pattern;
  fs::create_directories(dir_ + "/www");
  fs::create_directories(dir_ + "/logs");
  try {
    write_root(dir_ + "/www");
  } catch (...) {
    fs::remove_all(dir_);
    throw;
  }
  // nginx's workers run as nobody when root starts it: they must read the pages.
  for (const auto& e : fs::recursive_directory_iterator(dir_)) {
    fs::permissions(e.path(), fs::perms::others_read | fs::perms::group_read | fs::perms::others_exec |
                                  fs::perms::group_exec, fs::perm_options::add);
  }
  fs::permissions(dir_, fs::perms::others_read | fs::perms::others_exec | fs::perms::group_read |
                            fs::perms::group_exec, fs::perm_options::add);
  port_ = free_loopback_port();
  const bool tls = !site.tls_certificate.empty() && !site.tls_key.empty();
  if (tls) tls_port_ = free_loopback_port();
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on a long + chain.
  auto server = [&](std::uint16_t port, const std::string& listen_options) {
    const std::string at = std::to_string(port) + listen_options + ";\n";
    std::string out = "  server {\n    listen 127.0.0.1:";
    out += at;
    if (site.ipv6) {
      out += "    listen [::1]:";
      out += at;
    }
    out += "    root ";
    out += dir_;
    out += "/www;\n";
    out += site.server_lines;
    out += "\n";
    if (!listen_options.empty()) {
      out += "    ssl_certificate ";
      out += site.tls_certificate;
      out += ";\n    ssl_certificate_key ";
      out += site.tls_key;
      out += ";\n";
    }
    out += "  }\n";
    return out;
  };
  std::ofstream(dir_ + "/nginx.conf") << "worker_processes " << std::max(site.workers, 1u) << ";\ndaemon off;\npid "
                                      << dir_ << "/nginx.pid;\n"
                                      << "error_log " << dir_ << "/logs/error.log warn;\n"
                                      << "events { worker_connections 4096; }\nhttp {\n  access_log off;\n"
                                      << "  client_body_temp_path " << dir_ << "/body;\n  proxy_temp_path " << dir_
                                      << "/proxy;\n  fastcgi_temp_path " << dir_ << "/fastcgi;\n  uwsgi_temp_path "
                                      << dir_ << "/uwsgi;\n  scgi_temp_path " << dir_ << "/scgi;\n"
                                      << "  keepalive_requests 1000000;\n  keepalive_timeout 60s;\n"
                                      << site.http_lines << "\n"
                                      << server(port_, "") << (tls ? server(tls_port_, " ssl") : "") << "}\n";
  std::vector<std::string> args{program, "-p", dir_, "-c", dir_ + "/nginx.conf", "-e", dir_ + "/logs/error.log"};
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  if (posix_spawn(&pid_, c_args[0], nullptr, nullptr, c_args.data(), environ) != 0) {
    fs::remove_all(dir_);
    throw std::runtime_error("cannot start " + program);
  }
  for (int i = 0; i < 200 && !accepts(port_); ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      std::ostringstream log;
      log << std::ifstream(dir_ + "/logs/error.log").rdbuf();
      pid_ = -1;
      fs::remove_all(dir_);
      throw std::runtime_error("nginx did not start: " + log.str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!accepts(port_)) {
    stop();
    throw std::runtime_error("nginx started but did not accept connections on 127.0.0.1:" + std::to_string(port_) +
                             " within 10 s");
  }
}

nginx_server::~nginx_server() { stop(); }

void nginx_server::stop() noexcept {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

}  // namespace switchyard::bench
