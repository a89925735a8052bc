// Where a kernel's vector loads start. A std::vector's large buffer sits 16
// bytes past a page (malloc's header), so a loop from its first element
// makes every 64-byte load span two cache lines; on Zen 5 that cost the
// fast float sum 1.4x in DRAM and 1.8x in L1 (docs/PERF.md, "Aligned
// rows"). The kernels read their first few elements apart and load from the
// first cache-line boundary on.
#pragma once

#include <cstddef>
#include <cstdint>

namespace switchyard::kernels {

inline constexpr std::size_t cache_line = 64;

/// The elements of p before its first cache-line boundary: 0 when p is on
/// one, or when p is not aligned to its element (no element is then).
template <class T>
std::size_t elements_before_line(const T* p) noexcept {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  if (address % sizeof(T) != 0) return 0;
  return (cache_line - address % cache_line) % cache_line / sizeof(T);
}

}  // namespace switchyard::kernels
