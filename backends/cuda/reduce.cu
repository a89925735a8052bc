// The facade's entry points: chunk_count and reduce_chunks, by element type.
#include <cuda_runtime.h>

#include <string>

#include <switchyard/error.hpp>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/thread_context.cuh"

namespace switchyard::backends::cuda {

// Defined in reduce_<type>.cu, one file per element type so they compile in parallel.
template <class T>
void reduce_typed(const kernels::reduction& r, const switchyard::detail::placement& p, void* out,
                  const launch_config& config);

bool reads_host_in_place(const kernels::reduction& r, const switchyard::detail::placement& p) {
  if (p.where == switchyard::detail::memory::device || p.deterministic) return false;
  if (!aligned_for_loads(r.x) || (r.y != nullptr && !aligned_for_loads(r.y))) return false;
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return reads_pageable_memory(device);
}

std::size_t chunk_count(const kernels::reduction& r, const switchyard::detail::placement& p) {
  if (p.where == switchyard::detail::memory::device || r.n == 0 || reads_host_in_place(r, p)) return 1;
  return kernels::with_element(r.type, [&](auto t) {
    constexpr std::size_t chunk = stream_chunk_bytes / sizeof(t);
    return (r.n + chunk - 1) / chunk;
  });
}

void reduce_chunks(const kernels::reduction& r, const switchyard::detail::placement& p, void* out,
                   const launch_config& config) {
  if (const std::string why = unavailable_reason(); !why.empty()) {
    throw error(errc::backend_unavailable, "backend cuda cannot run here: " + why);
  }
  if (r.n == 0) throw error(errc::invalid_argument, "cuda: reduce_chunks needs at least one element");
  kernels::with_element(r.type, [&](auto t) { reduce_typed<decltype(t)>(r, p, out, config); });
}

}  // namespace switchyard::backends::cuda
