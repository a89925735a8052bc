// The static server's HTTP/1.1 request head: parsed strictly, from bytes
// that may arrive in any pieces. Only what a static file server needs:
// GET and HEAD, a path of safe characters, HTTP/1.0 or 1.1, headers without
// a body. Anything else is a clear rejection with the status to send.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace static_server {

/// The longest request head accepted (a longer one: 431).
inline constexpr std::size_t max_head_bytes = 8192;

struct request {
  std::string method;  ///< GET or HEAD
  std::string path;    ///< starts with '/', no "..", no '%', no query
  bool keep_alive = true;
};

/// A request the server will not serve, and the status that says so.
struct rejection {
  int status;  ///< 400, 405, 413, 431, 505
  std::string reason;
};

/// Finds the end of a head in `buffer` (the index just past "\r\n\r\n"),
/// or nullopt while it is incomplete.
std::optional<std::size_t> head_end(std::string_view buffer);

/// Parses one complete head (ending in "\r\n\r\n"). Throws rejection.
request parse_head(std::string_view head);

}  // namespace static_server
