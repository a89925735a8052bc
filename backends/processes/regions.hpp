// The registry of live shared regions: which memory file holds an address,
// so that a reduction over any span inside a shared_array runs zero-copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace switchyard::backends::processes {

struct located_region {
  std::uint64_t id;
  int fd;             ///< the region's memory file, owned by the registry
  std::size_t bytes;  ///< the whole region's size
  std::size_t offset; ///< where the span starts in it
};

/// The region that holds all of [p, p + bytes), if one does.
std::optional<located_region> locate(const void* p, std::size_t bytes);

}  // namespace switchyard::backends::processes
