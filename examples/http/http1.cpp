// HTTP/1.1 response parsing (RFC 9112), strict: what it does not expect, it
// rejects with a message rather than guessing.
#include "http1.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <span>

namespace http {
namespace {

constexpr std::size_t max_line = 8192;
constexpr std::size_t max_headers = 100;

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void parse_status_line(std::string_view line, response& r) {
  // HTTP-version SP 3DIGIT SP [reason]
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || line[6] != '.' || !std::isdigit(static_cast<unsigned char>(line[5])) ||
      !std::isdigit(static_cast<unsigned char>(line[7])) || line[8] != ' ') {
    throw malformed_response("bad status line: '" + std::string(line.substr(0, 80)) + "'");
  }
  if (line.substr(5, 3) != "1.1" && line.substr(5, 3) != "1.0") {
    throw malformed_response("unsupported HTTP version " + std::string(line.substr(5, 3)));
  }
  const std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      (line.size() > 12 && line[12] != ' ')) {
    throw malformed_response("bad status code in '" + std::string(line.substr(0, 80)) + "'");
  }
  r.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (r.status < 100) throw malformed_response("status code " + std::string(code) + " out of range");
  r.reason = line.size() > 13 ? std::string(line.substr(13)) : "";
  r.keep_alive = line.substr(5, 3) == "1.1";
}

void parse_header(std::string_view line, response& r) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw malformed_response("header line without a name: '" + std::string(line.substr(0, 80)) + "'");
  }
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_token_char)) {
    throw malformed_response("bad header name '" + std::string(name) + "'");
  }
  const std::string key = lower(name);
  const std::string value(trim(line.substr(colon + 1)));
  if (r.headers.count(key) && key == "content-length" && r.headers[key] != value) {
    throw malformed_response("two different Content-Length headers");
  }
  r.headers[key] = value;
  if (r.headers.size() > max_headers) throw malformed_response("more than 100 headers");
}

std::size_t parse_size(std::string_view digits, int base, const char* what) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    throw malformed_response(std::string("bad ") + what + ": '" + std::string(digits.substr(0, 40)) + "'");
  }
  return n;
}

/// How the body is delimited, from the headers.
struct framing {
  bool chunked = false;
  std::size_t length = 0;
};

framing body_framing(response& r) {
  const auto te = r.headers.find("transfer-encoding");
  const auto cl = r.headers.find("content-length");
  if (te != r.headers.end()) {
    if (cl != r.headers.end()) throw malformed_response("both Transfer-Encoding and Content-Length");
    if (lower(te->second) != "chunked") throw malformed_response("unsupported Transfer-Encoding '" + te->second + "'");
    return {true, 0};
  }
  if (r.status / 100 == 1 || r.status == 204 || r.status == 304) return {false, 0};
  if (cl == r.headers.end()) throw malformed_response("no Content-Length and not chunked");
  return {false, parse_size(cl->second, 10, "Content-Length")};
}

void settle_keep_alive(response& r) {
  if (const auto c = r.headers.find("connection"); c != r.headers.end()) {
    const std::string v = lower(c->second);
    if (v == "close") r.keep_alive = false;
    if (v == "keep-alive") r.keep_alive = true;
  }
}

}  // namespace

switchyard::task<void> connection::fill() {
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  char chunk[16384];
  const std::size_t n = co_await socket_.recv(std::as_writable_bytes(std::span(chunk)));
  if (n == 0) throw malformed_response("the server closed the connection in the middle of a response");
  buffer_.append(chunk, n);
}

namespace {

/// Bytes in memory. `partial`: running out means "more may come" (ran_out
/// is set, and the parse stops) rather than a malformed response. Not an
/// exception: a response split over two segments is common, and a throw per
/// response cost more than the rest of the parse.
struct memory_source {
  std::string_view raw;
  bool partial = false;
  std::size_t pos = 0;
  bool ran_out = false;
  std::string_view line() {
    const auto end = raw.find("\r\n", pos);
    if (end == std::string_view::npos) {
      if (raw.size() - pos > max_line) throw malformed_response("a line longer than 8192 bytes");
      if (!partial) throw malformed_response("response ends in the middle of a line");
      ran_out = true;
      return {};
    }
    const std::string_view l = raw.substr(pos, end - pos);
    pos = end + 2;
    return l;
  }
  std::string_view take(std::size_t n) {
    if (raw.size() - pos < n) {
      if (!partial) throw malformed_response("body shorter than announced");
      ran_out = true;
      return {};
    }
    const std::string_view t = raw.substr(pos, n);
    pos += n;
    return t;
  }
};

/// The response grammar: status line, headers, then a Content-Length or
/// chunked body. Empty when a partial source ran out; src.pos ends where the
/// response ends.
std::optional<response> read_response(memory_source& src) {
  response r;
  std::string_view l = src.line();
  if (src.ran_out) return std::nullopt;
  parse_status_line(l, r);
  for (;;) {
    l = src.line();
    if (src.ran_out) return std::nullopt;
    if (l.empty()) break;
    parse_header(l, r);
  }
  settle_keep_alive(r);
  const framing f = body_framing(r);
  if (!f.chunked) {
    const std::string_view body = src.take(f.length);
    if (src.ran_out) return std::nullopt;
    r.body = std::string(body);
    return r;
  }
  for (;;) {
    const std::string_view size_line = src.line();
    if (src.ran_out) return std::nullopt;
    const std::size_t size = parse_size(trim(size_line.substr(0, size_line.find(';'))), 16, "chunk size");
    if (size == 0) break;
    r.body += src.take(size);
    const std::string_view after = src.line();
    if (src.ran_out) return std::nullopt;
    if (!after.empty()) throw malformed_response("chunk data not followed by CRLF");
  }
  for (;;) {  // trailer fields: read and dropped
    l = src.line();
    if (src.ran_out) return std::nullopt;
    if (l.empty()) break;
  }
  return r;
}

}  // namespace

switchyard::task<response> connection::get(std::string host, std::string target) {
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: keep-alive\r\n\r\n";
  const auto bytes = std::as_bytes(std::span(request));
  // One send nearly always takes a request this small; send_all the rest.
  const std::size_t sent = co_await socket_.send(bytes);
  if (sent < bytes.size()) co_await socket_.send_all(bytes.subspan(sent));
  // Parse what has arrived; when it is not a whole response yet, receive
  // more and parse again. A response usually arrives whole, and parsing it
  // in memory costs no suspension per line.
  for (;;) {
    memory_source src{std::string_view(buffer_).substr(start_), true};
    if (auto r = read_response(src)) {
      start_ += src.pos;
      co_return std::move(*r);
    }
    co_await fill();
  }
}

switchyard::task<std::unique_ptr<connection>> connection_pool::take() {
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    co_return c;
  }
  ++opened_;
  co_return std::make_unique<connection>(co_await switchyard::io::socket::connect(ctx_, "127.0.0.1", port_));
}

response parse(std::string_view raw) {
  memory_source src{raw};
  response r = *read_response(src);  // a whole source never runs out: it throws
  if (src.pos != raw.size()) throw malformed_response("bytes after the end of the response");
  return r;
}

}  // namespace http
