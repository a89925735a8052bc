// The example HTTP client's response parser (kept as the io layer's
// baseline): any bytes are a response or a malformed_response, never a
// crash, a hang or unbounded memory; and the answer does not depend on how
// the bytes were split into segments (the first byte picks the split).
#include <cstdint>
#include <string>
#include <string_view>

#include "http/http1.hpp"

namespace {

/// All bytes at once, as http::parse takes them (which must not crash either).
std::string whole(std::string_view raw) {
  try {
    (void)http::parse(raw, 1 << 16);
  } catch (const http::malformed_response&) {
  }
  http::response_parser p(1 << 16);
  try {
    const std::size_t used = p.feed(raw);
    if (!p.done()) return "unfinished";
    if (used != raw.size()) return "error bytes after the end of the response";
    const http::response r = p.take();
    return std::to_string(r.status) + " " + r.body;
  } catch (const http::malformed_response& e) {
    return std::string("error ") + e.what();
  }
}

std::string in_pieces(std::string_view raw, std::size_t piece) {
  http::response_parser p(1 << 16);
  std::string held;
  std::size_t at = 0;
  try {
    for (; at < raw.size() && !p.done(); at += piece) {
      held.append(raw.substr(at, piece));
      held.erase(0, p.feed(held));
    }
    if (!p.done()) return "unfinished";
    if (!held.empty() || at < raw.size()) return "error bytes after the end of the response";
    const http::response r = p.take();
    return std::to_string(r.status) + " " + r.body;
  } catch (const http::malformed_response& e) {
    return std::string("error ") + e.what();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return -1;
  const std::size_t piece = 1 + data[0] % 64;
  const std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);
  if (whole(raw) != in_pieces(raw, piece)) __builtin_trap();
  return 0;
}
