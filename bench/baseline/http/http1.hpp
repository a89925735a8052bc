// A small, strict HTTP/1.1 client over switchyard::io sockets: GET on a
// keep-alive connection, and a response parser that accepts exactly the
// grammar (status line, headers, Content-Length or chunked body) and throws
// http::malformed_response, saying what was wrong, for anything else.
// Interim (1xx) responses are skipped; a body is bounded (limits::max_body)
// and a whole response must arrive within limits::timeout. The parser is
// incremental: each byte is looked at once however the bytes are split into
// segments, and the same bytes are accepted or rejected whatever the split.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <switchyard/io.hpp>

namespace http {

class malformed_response : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct response {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  bool keep_alive = true;
};

/// What a response may cost at most.
struct limits {
  std::size_t max_body = std::size_t{64} << 20;  ///< bytes; a larger body is malformed_response
  std::chrono::milliseconds timeout{30'000};     ///< for a whole response; then io::timeout_error
};

/// Parses one response from bytes given in pieces of any size.
class response_parser {
 public:
  explicit response_parser(std::size_t max_body = limits{}.max_body) : max_body_(max_body) {}
  /// Parses as much of `in` as it can and returns the bytes it used: whole
  /// lines, and body bytes (copied out); what is left is an unfinished line
  /// (or bytes after the response once done()). Throws malformed_response.
  std::size_t feed(std::string_view in);
  bool done() const noexcept { return stage_ == stage::done; }
  /// The parsed response, once done().
  response take() { return std::move(r_); }
  /// Why bytes that ended here are not a whole response (for parse()).
  std::string why_unfinished(bool bytes_left) const;

 private:
  enum class stage { status, headers, body, chunk_size, chunk_data, chunk_end, trailers, done };
  void on_line(std::string_view line);
  void headers_done();
  void append_body(std::string_view bytes);
  std::size_t max_body_;
  stage stage_ = stage::status;
  response r_;
  std::size_t header_lines_ = 0;
  std::size_t remaining_ = 0;  // of the body or of the current chunk
};

/// Reads responses from one connection, keeping bytes that arrived early.
class connection {
 public:
  explicit connection(switchyard::io::socket s, limits l = {}) : socket_(std::move(s)), limits_(l) {}
  /// Sends "GET target" and reads the whole response.
  switchyard::task<response> get(std::string host, std::string target);
  switchyard::io::socket& socket() noexcept { return socket_; }

 private:
  switchyard::io::socket socket_;
  limits limits_;
  std::string buffer_;  // received, not yet parsed: at most an unfinished line, or the next response's start
};

/// Keep-alive connections to 127.0.0.1:port not in use; a new one is opened
/// when none is idle, so at most as many exist as requests run at once.
class connection_pool {
 public:
  connection_pool(switchyard::io::context& ctx, std::uint16_t port) : ctx_(ctx), port_(port) {}
  switchyard::task<std::unique_ptr<connection>> take();
  void give_back(std::unique_ptr<connection> c) { idle_.push_back(std::move(c)); }
  std::size_t opened() const noexcept { return opened_; }

 private:
  switchyard::io::context& ctx_;
  std::uint16_t port_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::size_t opened_ = 0;
};

/// Parses a whole response held in `raw` (for tests and for callers that
/// already have the bytes). Throws malformed_response.
response parse(std::string_view raw, std::size_t max_body = limits{}.max_body);

}  // namespace http
