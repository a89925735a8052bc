// The float inputs the reduction benchmarks read: one array per size, made
// once in the process and shared by every case that reads that size.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <utility>

#include "huge_array.hpp"

namespace switchyard::bench {

/// `bytes` of floats on huge pages, element i (i % 7) * 0.25, every page
/// touched before anything is timed; kept for the process's life.
inline std::span<const float> reduce_input(std::size_t bytes) {
  static std::map<std::size_t, std::unique_ptr<huge_array>> made;
  auto& slot = made[bytes];
  if (!slot) slot = std::make_unique<huge_array>(bytes, [](std::size_t i) { return static_cast<float>(i % 7) * 0.25f; });
  return slot->span();
}

/// dot's two inputs in v: its halves less a page, which start half the
/// buffer and a page apart, as two large std::vectors do (each of glibc's
/// mmap'd blocks takes a page more than it holds). Exactly half apart (a
/// power of two), the two streams met in the same DRAM banks: on the Zen 4
/// guest any dot of them ran at 0.7x the speed (docs/PERF.md, "Zen 4's
/// prefetchers"), a property of the addresses, not of a kernel.
inline std::pair<std::span<const float>, std::span<const float>> dot_inputs(std::span<const float> v) {
  const std::size_t length = v.size() / 2 - 4096 / sizeof(float);
  return {v.first(length), v.last(length)};
}

}  // namespace switchyard::bench
