// Test support: where a buffer's first cache line starts, for suites that
// place inputs at known offsets from a 64-byte boundary (malloc promises 16).
#pragma once

#include <cstdint>
#include <vector>

namespace switchyard::testing {

/// The first element of buffer that sits on a 64-byte boundary.
template <class T>
T* first_line(std::vector<T>& buffer) {
  const auto address = reinterpret_cast<std::uintptr_t>(buffer.data());
  return buffer.data() + (64 - address % 64) % 64 / sizeof(T);
}

}  // namespace switchyard::testing
