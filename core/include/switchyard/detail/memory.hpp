// Where a reduction's input lives: host memory (any contiguous range) or GPU
// memory (a device_array), which only the cuda backend can read.
#pragma once

#include <cstdint>

namespace switchyard::detail {

enum class memory : std::uint8_t { host, device };

}  // namespace switchyard::detail
