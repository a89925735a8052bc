// HTTP/1.1 response parsing (RFC 9112), strict: what it does not expect, it
// rejects with a message rather than guessing.
#include "http1.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <span>
#include <string>

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

std::size_t response_parser::feed(std::string_view in) {
  std::size_t pos = 0;
  while (stage_ != stage::done) {
    if (stage_ == stage::body || stage_ == stage::chunk_data) {
      const std::size_t n = std::min(remaining_, in.size() - pos);
      if (n == 0) break;
      append_body(in.substr(pos, n));
      pos += n;
      remaining_ -= n;
      if (remaining_ == 0) stage_ = stage_ == stage::body ? stage::done : stage::chunk_end;
      continue;
    }
    const auto end = in.find("\r\n", pos);
    // The same bound whether or not the line's end has arrived: acceptance
    // must not depend on how the bytes were split.
    if ((end == std::string_view::npos ? in.size() : end) - pos > max_line) {
      throw malformed_response("a line longer than 8192 bytes");
    }
    if (end == std::string_view::npos) break;
    const std::string_view line = in.substr(pos, end - pos);
    pos = end + 2;
    on_line(line);
  }
  return pos;
}

void response_parser::on_line(std::string_view line) {
  switch (stage_) {
    case stage::status:
      parse_status_line(line, r_);
      return void(stage_ = stage::headers);
    case stage::headers:
      if (line.empty()) return headers_done();
      // Lines, not distinct names: repeating one header must not get past the cap.
      if (++header_lines_ > max_headers) throw malformed_response("more than 100 header lines");
      return parse_header(line, r_);
    case stage::chunk_size: {
      remaining_ = parse_size(trim(line.substr(0, line.find(';'))), 16, "chunk size");
      if (remaining_ > max_body_ - r_.body.size()) {
        throw malformed_response("body larger than the limit of " + std::to_string(max_body_) + " bytes");
      }
      return void(stage_ = remaining_ == 0 ? stage::trailers : stage::chunk_data);
    }
    case stage::chunk_end:
      if (!line.empty()) throw malformed_response("chunk data not followed by CRLF");
      return void(stage_ = stage::chunk_size);
    case stage::trailers:  // trailer fields: read and dropped
      if (line.empty()) stage_ = stage::done;
      return;
    case stage::body:
    case stage::chunk_data:
    case stage::done:
      return;
  }
}

void response_parser::headers_done() {
  if (r_.status / 100 == 1) {
    // An interim response (100 Continue, 103 Early Hints): the final one follows.
    if (r_.status == 101) throw malformed_response("101 Switching Protocols, but no upgrade was asked for");
    r_ = {};
    header_lines_ = 0;
    stage_ = stage::status;
    return;
  }
  settle_keep_alive(r_);
  const framing f = body_framing(r_);
  if (f.chunked) return void(stage_ = stage::chunk_size);
  if (f.length > max_body_) {
    throw malformed_response("Content-Length " + std::to_string(f.length) + " is over the limit of " +
                             std::to_string(max_body_) + " bytes");
  }
  r_.body.reserve(f.length);
  remaining_ = f.length;
  stage_ = f.length == 0 ? stage::done : stage::body;
}

void response_parser::append_body(std::string_view bytes) { r_.body.append(bytes); }

std::string response_parser::why_unfinished(bool bytes_left) const {
  if (stage_ == stage::body || stage_ == stage::chunk_data) return "body shorter than announced";
  return bytes_left ? "response ends in the middle of a line" : "response ends before its last line";
}

switchyard::task<response> connection::get(std::string host, std::string target) {
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: keep-alive\r\n\r\n";
  const auto bytes = std::as_bytes(std::span(request));
  // One send nearly always takes a request this small; send_all the rest.
  const std::size_t sent = co_await socket_.send(bytes);
  if (sent < bytes.size()) co_await socket_.send_all(bytes.subspan(sent));
  // Parse what has arrived, receive more, go on where the parse stopped:
  // a response usually arrives whole and costs no suspension per line.
  response_parser parser(limits_.max_body);
  const auto deadline = std::chrono::steady_clock::now() + limits_.timeout;
  std::size_t received = 0;
  for (;;) {
    buffer_.erase(0, parser.feed(buffer_));
    if (parser.done()) co_return parser.take();
    const auto left = deadline - std::chrono::steady_clock::now();
    const std::string late = "http: no whole response within " + std::to_string(limits_.timeout.count()) +
                             " ms (" + std::to_string(received) + " bytes came)";
    if (left <= std::chrono::nanoseconds::zero()) throw switchyard::io::timeout_error(late, received);
    char chunk[16384];
    std::size_t n = 0;
    try {
      n = co_await socket_.recv(std::as_writable_bytes(std::span(chunk)), left);
    } catch (const switchyard::io::timeout_error&) {
      throw switchyard::io::timeout_error(late, received);
    }
    if (n == 0) throw malformed_response("the server closed the connection in the middle of a response");
    received += n;
    buffer_.append(chunk, n);
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

response parse(std::string_view raw, std::size_t max_body) {
  response_parser parser(max_body);
  const std::size_t used = parser.feed(raw);
  if (!parser.done()) throw malformed_response(parser.why_unfinished(used < raw.size()));
  if (used != raw.size()) throw malformed_response("bytes after the end of the response");
  return parser.take();
}

}  // namespace http
