// The registry of live shared_array memory: which memory file holds an
// address, so a backend that runs in other processes can hand them the file
// instead of copying; and who must hear when a region is freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace switchyard::detail {

struct located_region {
  std::uint64_t id;
  int fd;             ///< the region's memory file, owned by the registry
  std::size_t bytes;  ///< the whole region's size
  std::size_t offset; ///< where the span starts in it
};

/// The region that holds all of [p, p + bytes), if one does.
std::optional<located_region> locate_shared(const void* p, std::size_t bytes);

/// Told when a region is freed, so that other processes that mapped it unmap
/// it and its memory is returned now.
class region_listener {
 public:
  virtual void forget(std::uint64_t id) noexcept = 0;

 protected:
  ~region_listener() = default;
};

void add_region_listener(region_listener* l);
void remove_region_listener(region_listener* l);

}  // namespace switchyard::detail
