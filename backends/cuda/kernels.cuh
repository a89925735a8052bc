// The thin __global__ kernels: each hands its block to the agent and stores
// what the block produced.
#pragma once

#include <cstddef>

#include "backends/cuda/agent_reduce.cuh"

namespace switchyard::backends::cuda {

/// One pass: every block stores its partial; the last block to finish
/// (counted in *blocks_done, which it resets to 0 for the next launch)
/// combines them all and writes the result.
template <class Op, class T>
__global__ void __launch_bounds__(block_threads)
    reduce_single_pass(Op op, std::size_t n, std::size_t first_index, typename Op::partial* block_partials,
                       unsigned* blocks_done, typename Op::result* out) {
  const typename Op::partial p = block_partial(op, thread_partial<Op, T>(op, n, first_index, blockIdx.x, gridDim.x, threadIdx.x));
  __shared__ bool last;
  if (threadIdx.x == 0) {
    block_partials[blockIdx.x] = p;
    __threadfence();  // the partial is visible before the count says so
    last = atomicAdd(blocks_done, 1u) == gridDim.x - 1;
  }
  __syncthreads();
  if (!last) return;
  __threadfence();
  finish_partials(op, block_partials, gridDim.x, out);
  if (threadIdx.x == 0) *blocks_done = 0;
}

/// First of two passes: every block stores its partial.
template <class Op, class T>
__global__ void __launch_bounds__(block_threads)
    reduce_blocks(Op op, std::size_t n, std::size_t first_index, typename Op::partial* block_partials) {
  const typename Op::partial p = block_partial(op, thread_partial<Op, T>(op, n, first_index, blockIdx.x, gridDim.x, threadIdx.x));
  if (threadIdx.x == 0) block_partials[blockIdx.x] = p;
}

/// Second pass, one block: combines the block partials into the result.
template <class Op>
__global__ void __launch_bounds__(block_threads)
    reduce_block_partials(Op op, const typename Op::partial* block_partials, unsigned count,
                          typename Op::result* out) {
  finish_partials(op, block_partials, count, out);
}

}  // namespace switchyard::backends::cuda
