// Pinned staging buffers for host input, kept between calls: page-locking
// 32 MiB costs milliseconds, as long as streaming it.
#pragma once

#include <cstddef>
#include <utility>

#include "backends/cuda/cuda_check.cuh"
#include "core/src/compute_backend.hpp"

namespace switchyard::backends::cuda {

/// A pinned buffer of stream_chunk_bytes, back to the pool when destroyed.
class staging_lease {
 public:
  staging_lease();
  staging_lease(staging_lease&& o) noexcept : buffer_(std::exchange(o.buffer_, nullptr)) {}
  staging_lease& operator=(staging_lease&&) = delete;
  ~staging_lease();
  template <class T>
  T* as() const noexcept { return buffer_->as<T>(); }

 private:
  pinned_buffer* buffer_;
};

/// Copies bytes from pageable host memory into pinned memory on the engine's
/// threads (one core's memcpy is slower than PCIe), or on this one.
void parallel_copy(void* pinned, const void* host, std::size_t bytes, switchyard::detail::compute_backend* threads);

/// Whether the copy engines can read [host, host + bytes) as it is: all of it
/// page-locked (cudaMallocHost, cudaHostRegister) or managed, judged by both
/// ends lying in one such mapping (the device-side addresses are as far
/// apart as the host ones). Throws switchyard::error (invalid_argument) for
/// GPU memory passed as a host range, which a CPU copy would fault on.
bool copies_directly(const void* host, std::size_t bytes);

}  // namespace switchyard::backends::cuda
