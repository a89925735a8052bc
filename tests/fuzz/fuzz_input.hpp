// What the fuzz targets share: the fuzzer's bytes cut into the documents a
// reader takes (several JSON files for one `switchyard compare`, say).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace switchyard::fuzz {

/// The input as text, cut at each NUL byte (at most `most` parts; the last
/// keeps any NULs after).
inline std::vector<std::string_view> parts(const std::uint8_t* data, std::size_t size, std::size_t most) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> out;
  while (out.size() + 1 < most) {
    const auto cut = text.find('\0');
    if (cut == std::string_view::npos) break;
    out.push_back(text.substr(0, cut));
    text.remove_prefix(cut + 1);
  }
  out.push_back(text);
  return out;
}

}  // namespace switchyard::fuzz
