// A small, strict HTTP/1.1 client over switchyard::io sockets: GET on a
// keep-alive connection, and a response parser that accepts exactly the
// grammar (status line, headers, Content-Length or chunked body) and throws
// http::malformed_response, saying what was wrong, for anything else.
#pragma once

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

/// Reads responses from one connection, keeping bytes that arrived early.
class connection {
 public:
  explicit connection(switchyard::io::socket s) : socket_(std::move(s)) {}
  /// Sends "GET target" and reads the whole response.
  switchyard::task<response> get(std::string host, std::string target);
  switchyard::io::socket& socket() noexcept { return socket_; }

 private:
  switchyard::task<void> fill();  // more bytes into buffer_
  switchyard::io::socket socket_;
  std::string buffer_;
  std::size_t start_ = 0;
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
response parse(std::string_view raw);

}  // namespace http
