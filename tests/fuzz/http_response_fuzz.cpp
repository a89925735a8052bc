// The example HTTP client's response parser (kept as the io layer's
// baseline): any bytes are a response or a malformed_response, never a
// crash, a hang or unbounded memory; and the answer does not depend on how
// the bytes were split into segments (the first byte picks the split).
#include <cstdint>
#include <string_view>

#include "http/http1.hpp"
#include "support/http_pieces.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return -1;
  const std::size_t piece = 1 + data[0] % 64;
  const std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    (void)http::parse(raw, 1 << 16);
  } catch (const http::malformed_response&) {
    // Rejected with a reason: the expected answer to bad bytes.
  }
  using switchyard::testing::parse_in_pieces;
  if (parse_in_pieces(raw, piece, 1 << 16) != switchyard::testing::parse_at_once(raw, 1 << 16)) __builtin_trap();
  return 0;
}
