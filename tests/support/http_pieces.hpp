// The example HTTP parser fed a response in pieces, as segments arrive off a
// socket: what the HTTP tests and the fuzzer compare across splits.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "http/http1.hpp"

namespace switchyard::testing {

/// The parser's answer for `raw` fed `piece` bytes at a time: "STATUS BODY",
/// "unfinished" (more bytes could still complete it), or "error: MESSAGE".
inline std::string parse_in_pieces(std::string_view raw, std::size_t piece,
                                   std::size_t max_body = http::limits{}.max_body) {
  piece = std::max<std::size_t>(piece, 1);
  http::response_parser p(max_body);
  std::string held;
  std::size_t at = 0;
  try {
    for (; at < raw.size() && !p.done(); at += piece) {
      held.append(raw.substr(at, piece));
      held.erase(0, p.feed(held));
    }
    if (!p.done()) return "unfinished";
    if (!held.empty() || at < raw.size()) return "error: bytes after the end of the response";
    const http::response r = p.take();
    return std::to_string(r.status) + " " + r.body;
  } catch (const http::malformed_response& e) {
    return std::string("error: ") + e.what();
  }
}

/// The same answer for all of `raw` at once.
inline std::string parse_at_once(std::string_view raw, std::size_t max_body = http::limits{}.max_body) {
  return parse_in_pieces(raw, raw.size(), max_body);
}

}  // namespace switchyard::testing
