// Dispatch: how many blocks a reduction gets and the launches of the
// one-pass or two-pass finish (the scratch they share is the thread's:
// thread_context.cuh).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/cuda_check.cuh"
#include "backends/cuda/kernels.cuh"
#include "backends/cuda/thread_context.cuh"

namespace switchyard::backends::cuda {

/// The most blocks in deterministic mode, the same on every GPU so that the
/// combine tree is too: 1024 blocks of 256 threads is one full wave on an
/// A100 (108 SMs x 8 resident blocks = 864, so 1.2 waves) and on an H100
/// (132 x 8 = 1056), and each extra block costs only one partial.
inline constexpr unsigned deterministic_max_blocks = 1024;

/// Blocks for n elements on `device`: one per tile, at most one full wave of
/// the device (or deterministic_max_blocks). Either way it depends only on n
/// and the device, so a result is the same bits run to run. The occupancy is
/// asked once per op, type and device.
template <class Op, class T>
unsigned blocks_for(std::size_t n, bool deterministic, int device) {
  const std::size_t wanted = std::max<std::size_t>(1, (n + tile_elements<T> - 1) / tile_elements<T>);
  std::size_t most = deterministic_max_blocks;
  if (!deterministic) {
    static per_device per_multiprocessor;
    const int per = per_multiprocessor.get(device, [] {
      int blocks = 0;
      check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, reduce_single_pass<Op, T>, block_threads, 0),
            "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
      return std::max(1, blocks);
    });
    most = static_cast<std::size_t>(per) * static_cast<std::size_t>(multiprocessors(device));
  }
  return static_cast<unsigned>(std::min(wanted, most));
}

/// Queues the reduction of op over its n elements (device memory) on s; the
/// result lands in *out (device memory). first_index numbers element 0.
template <class Op, class T>
void launch_reduce(const Op& op, std::size_t n, std::size_t first_index, unsigned blocks,
                   const block_scratch& scratch, typename Op::result* out, finish_pass finish, cudaStream_t s) {
  if (!aligned_for_loads(op.x) || (Op::two_inputs && !aligned_for_loads(op.y))) {
    throw error(errc::invalid_argument, "cuda: device input must start 16-byte aligned");
  }
  if (blocks > scratch.max_blocks()) {  // blocks_for's bound; a failure here is this backend's bug
    throw error(errc::device_failed, "cuda: " + std::to_string(blocks) + " blocks exceed the scratch's " +
                                         std::to_string(scratch.max_blocks()));
  }
  auto* partials = scratch.template partials<typename Op::partial>();
  if (finish == finish_pass::last_block) {
    reduce_single_pass<Op, T><<<blocks, block_threads, 0, s>>>(op, n, first_index, partials,
                                                               scratch.counter(), out);
    check_launch("reduce_single_pass");
  } else {
    reduce_blocks<Op, T><<<blocks, block_threads, 0, s>>>(op, n, first_index, partials);
    check_launch("reduce_blocks");
    reduce_block_partials<Op><<<1, block_threads, 0, s>>>(op, partials, blocks, out);
    check_launch("reduce_block_partials");
  }
}

}  // namespace switchyard::backends::cuda
