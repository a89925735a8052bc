#include "backends/cuda/staging.cuh"

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/cuda_check.cuh"

namespace switchyard::backends::cuda {
namespace {

/// At most this many idle buffers stay in a pool (3 lanes x 2 inputs, plus
/// a second caller's).
constexpr std::size_t kept_buffers = 8;

template <class Buffer>
struct chunk_pool {
  std::mutex m;
  std::vector<std::unique_ptr<Buffer>> idle;
};

/// Pinned memory serves every device: one pool. Device memory is the
/// device's own.
template <class Buffer>
chunk_pool<Buffer>& pool_for(int device) {
  if constexpr (std::is_same_v<Buffer, pinned_buffer>) {
    static chunk_pool<Buffer> p;
    return p;
  } else {
    static chunk_pool<Buffer> pools[most_devices];
    return pools[device];
  }
}

int current_device() {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  if (device < 0 || device >= most_devices) {
    throw error(errc::device_failed, "cuda: device " + std::to_string(device) + " is past the " +
                                         std::to_string(most_devices) + " this backend serves");
  }
  return device;
}

}  // namespace

template <class Buffer>
chunk_lease<Buffer>::chunk_lease() : device_(std::is_same_v<Buffer, pinned_buffer> ? 0 : current_device()) {
  auto& p = pool_for<Buffer>(device_);
  {
    std::lock_guard lock(p.m);
    if (!p.idle.empty()) {
      buffer_ = p.idle.back().release();
      p.idle.pop_back();
      return;
    }
  }
  buffer_ = std::make_unique<Buffer>(stream_chunk_bytes).release();
}

template <class Buffer>
chunk_lease<Buffer>::~chunk_lease() {
  if (!buffer_) return;
  std::unique_ptr<Buffer> owned(buffer_);
  auto& p = pool_for<Buffer>(device_);
  std::lock_guard lock(p.m);
  if (p.idle.size() < kept_buffers) p.idle.push_back(std::move(owned));
}

template class chunk_lease<pinned_buffer>;
template class chunk_lease<device_buffer>;

void parallel_copy(void* pinned, const void* host, std::size_t bytes, switchyard::detail::compute_backend* threads) {
  constexpr std::size_t piece = staging_piece_bytes;
  const std::size_t pieces = (bytes + piece - 1) / piece;
  auto copy_piece = [&](std::size_t i) {
    const std::size_t begin = i * piece;
    std::memcpy(static_cast<char*>(pinned) + begin, static_cast<const char*>(host) + begin,
                std::min(piece, bytes - begin));
  };
  if (threads != nullptr) {
    switchyard::detail::throw_if_failed(threads->run_chunks(pieces, ~0u, copy_piece));
  } else {
    for (std::size_t i = 0; i < pieces; ++i) copy_piece(i);
  }
}

bool copies_directly(const void* host, std::size_t bytes) {
  auto attributes = [](const void* p) {
    cudaPointerAttributes a{};
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
      (void)cudaGetLastError();
      a.type = cudaMemoryTypeUnregistered;
    }
    return a;
  };
  const auto* first = static_cast<const char*>(host);
  const auto* last = first + (bytes == 0 ? 0 : bytes - 1);
  const cudaPointerAttributes a = attributes(first), b = attributes(last);
  if (a.type == cudaMemoryTypeDevice || b.type == cudaMemoryTypeDevice) {
    throw error(errc::invalid_argument, "cuda: a host range points into GPU memory; reduce a device_array instead");
  }
  const bool direct = [](cudaMemoryType t) { return t == cudaMemoryTypeHost || t == cudaMemoryTypeManaged; }(a.type);
  if (!direct || b.type != a.type) return false;
  // One mapping from end to end: a range that runs from a registered block
  // into pageable memory, or across two blocks, is staged.
  return static_cast<const char*>(b.devicePointer) - static_cast<const char*>(a.devicePointer) == last - first;
}

}  // namespace switchyard::backends::cuda
