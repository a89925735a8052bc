// The streamed path's buffers, kept between calls: pinned staging for host
// input, device memory for the chunks it copies.
#pragma once

#include <cstddef>
#include <utility>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/cuda_check.cuh"
#include "core/src/compute_backend.hpp"

namespace switchyard::backends::cuda {

/// A buffer of stream_chunk_bytes from a pool, back to it when destroyed:
/// pinned host memory for staging (pinned_buffer: one pool) or device
/// memory for a streamed chunk (device_buffer: a pool per device, the
/// current one's). Kept between calls: page-locking 16 MiB costs 5-11 ms,
/// longer than streaming it; a pool keeps at most a few idle.
template <class Buffer>
class chunk_lease {
 public:
  chunk_lease();
  chunk_lease(chunk_lease&& o) noexcept : buffer_(std::exchange(o.buffer_, nullptr)), device_(o.device_) {}
  chunk_lease& operator=(chunk_lease&&) = delete;
  ~chunk_lease();
  void* get() const noexcept { return buffer_->get(); }
  template <class T>
  T* as() const noexcept { return buffer_->template as<T>(); }

 private:
  Buffer* buffer_;
  int device_ = 0;
};

using staging_lease = chunk_lease<pinned_buffer>;
using device_chunk_lease = chunk_lease<device_buffer>;

/// parallel_copy's unit of work: 32 to a chunk, two for each of 16 threads.
inline constexpr std::size_t staging_piece_bytes = stream_chunk_bytes / 32;

/// Copies bytes from pageable host memory into pinned memory on the engine's
/// threads (one core's memcpy is slower than PCIe), or on this one, in
/// pieces of staging_piece_bytes. Plain memcpy: streaming stores, which
/// bypass the caches, made the staged 1 GiB sum 30% slower on an H200
/// machine with 300 MiB of L3, likely because the copy engine then reads
/// the chunk from DRAM rather than from the cache (docs/PERF.md).
void parallel_copy(void* pinned, const void* host, std::size_t bytes, switchyard::detail::compute_backend* threads);

/// Whether the copy engines can read [host, host + bytes) as it is: all of it
/// page-locked (cudaMallocHost, cudaHostRegister) or managed, judged by both
/// ends lying in one such mapping (the device-side addresses are as far
/// apart as the host ones). Throws switchyard::error (invalid_argument) for
/// GPU memory passed as a host range, which a CPU copy would fault on.
bool copies_directly(const void* host, std::size_t bytes);

}  // namespace switchyard::backends::cuda
