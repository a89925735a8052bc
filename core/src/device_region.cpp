// device_array's memory, through the default engine's backend that holds GPU
// memory (cuda).
#include <switchyard/device_array.hpp>
#include <switchyard/engine.hpp>
#include <switchyard/error.hpp>

#include <string>

#include "compute_backend.hpp"
#include "engine_state.hpp"

namespace switchyard::detail {
namespace {

device_memory* gpu_memory_if_any() noexcept {
  return default_engine().state().backend_for(backend::cuda).memory_on_device();
}

device_memory& gpu_memory() {
  device_memory* m = gpu_memory_if_any();
  if (m == nullptr) throw error(errc::backend_unavailable, "no backend of this build holds GPU memory");
  return *m;
}

}  // namespace

device_region::device_region(std::size_t bytes) : bytes_(bytes) { throw_if_failed(gpu_memory().allocate(bytes, &data_)); }

void device_region::release() noexcept {
  // Memory was allocated, so the engine and its GPU memory exist: nothing here throws.
  if (data_ != nullptr) {
    if (device_memory* m = gpu_memory_if_any()) m->release(data_);
  }
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
  if (bytes != 0) throw_if_failed(gpu_memory().copy_to_device(static_cast<char*>(data_) + offset, host, bytes));
}

void device_region::download(std::size_t offset, void* host, std::size_t bytes) const {
  check_range(offset, bytes);
  if (bytes != 0) throw_if_failed(gpu_memory().copy_to_host(host, static_cast<const char*>(data_) + offset, bytes));
}

[[noreturn]] void throw_device_array_too_large(std::size_t n, std::size_t element_bytes) {
  throw error(errc::invalid_argument, "device_array of " + std::to_string(n) + " elements of " +
                                          std::to_string(element_bytes) +
                                          " bytes is larger than memory can address; use fewer elements");
}

}  // namespace switchyard::detail
