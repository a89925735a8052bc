// device_array's memory, through the cuda backend.
#include <switchyard/device_array.hpp>
#include <switchyard/error.hpp>

#include <string>

#include "backends/cuda/cuda_backend.hpp"

namespace switchyard::detail {

device_region::device_region(std::size_t bytes) : data_(backends::cuda::allocate(bytes)), bytes_(bytes) {}

void device_region::release() noexcept {
  backends::cuda::release(data_);
  data_ = nullptr;
  bytes_ = 0;
}

void device_region::check_range(std::size_t offset, std::size_t bytes) const {
  if (offset > bytes_ || bytes > bytes_ - offset) {
    throw error(errc::invalid_argument, "device_array: bytes [" + std::to_string(offset) + ", " +
                                            std::to_string(offset) + " + " + std::to_string(bytes) +
                                            ") are outside the array's " + std::to_string(bytes_) +
                                            " bytes; copy within size() elements");
  }
}

void device_region::upload(std::size_t offset, const void* host, std::size_t bytes) {
  check_range(offset, bytes);
  backends::cuda::copy_to_device(static_cast<char*>(data_) + offset, host, bytes);
}

void device_region::download(std::size_t offset, void* host, std::size_t bytes) const {
  check_range(offset, bytes);
  backends::cuda::copy_to_host(host, static_cast<const char*>(data_) + offset, bytes);
}

[[noreturn]] void throw_device_array_too_large(std::size_t n, std::size_t element_bytes) {
  throw error(errc::invalid_argument, "device_array of " + std::to_string(n) + " elements of " +
                                          std::to_string(element_bytes) +
                                          " bytes is larger than memory can address; use fewer elements");
}

}  // namespace switchyard::detail
