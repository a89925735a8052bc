// The agent: one thread's share of the input (the tile loop) and one block's
// combine of its threads' partials (cub::BlockReduce, warp shuffles inside).
#pragma once

#include <cub/block/block_reduce.cuh>

#include <cstddef>
#include <cstring>

// Unrolled on the device; the host (a test's replay) needs no hint.
#ifdef __CUDA_ARCH__
#define SWITCHYARD_UNROLL _Pragma("unroll")
#else
#define SWITCHYARD_UNROLL
#endif

namespace switchyard::backends::cuda {

/// Threads per block. 256 lets 8 blocks share an SM (2048 threads on 8.0 and
/// 9.0) and keeps the block combine at three shuffle rounds plus one.
inline constexpr int block_threads = 256;
/// 16-byte loads each thread has in flight per tile: 4 (64 bytes a thread,
/// 16 KiB a block) is what CUB's reduce tuning for 4-byte types keeps in
/// flight on sm_80/sm_90 to cover HBM latency.
inline constexpr int loads_per_thread = 4;

template <class T>
inline constexpr int vector_elements = 16 / static_cast<int>(sizeof(T));

/// Elements one block reads per tile.
template <class T>
inline constexpr std::size_t tile_elements = std::size_t{block_threads} * loads_per_thread * vector_elements<T>;

/// The v-th 16-byte vector of `base` (16-byte aligned), through the
/// read-only path. (On the host, for tests that replay a grid there.)
template <class T>
__host__ __device__ __forceinline__ void load_vector(const T* base, std::size_t v, T (&out)[vector_elements<T>]) {
#ifdef __CUDA_ARCH__
  const uint4 raw = __ldg(reinterpret_cast<const uint4*>(base) + v);
#else
  uint4 raw;
  std::memcpy(&raw, reinterpret_cast<const char*>(base) + v * sizeof raw, sizeof raw);
#endif
  std::memcpy(out, &raw, sizeof raw);
}

/// Joins a 16-byte vector at indices [index, index + V) to a thread's
/// partial: through the op's add_vector where it has one, else element by
/// element in index order.
template <class Op, class T, int V>
__host__ __device__ __forceinline__ void add_vector(const Op& op, typename Op::partial& acc, const T (&xs)[V],
                                                    const T (&ys)[V], std::size_t index) {
  if constexpr (requires { op.add_vector(acc, xs, index); }) {
    op.add_vector(acc, xs, index);
  } else {
SWITCHYARD_UNROLL
    for (int j = 0; j < V; ++j) op.add(acc, xs[j], Op::two_inputs ? ys[j] : T{}, index + j);
  }
}

/// This thread's partial of op over [0, n): whole tiles, grid-stride, with
/// every load of a tile issued before the first is used; then the vectors
/// and elements past the last whole tile, spread over the grid. The set of
/// elements a thread sees and their order depend only on n and the grid.
/// `first_index` is the index of element 0 in the caller's whole input;
/// block, blocks and thread are blockIdx.x, gridDim.x and threadIdx.x, given
/// as arguments so that a test can replay the grid on the host.
template <class Op, class T>
__host__ __device__ __forceinline__ typename Op::partial thread_partial(const Op& op, std::size_t n,
                                                                        std::size_t first_index, unsigned block,
                                                                        unsigned blocks, unsigned thread) {
  constexpr int V = vector_elements<T>;
  typename Op::partial acc = Op::identity();
  const std::size_t vectors = n / V;
  const std::size_t tile_vectors = std::size_t{block_threads} * loads_per_thread;
  const std::size_t tiles = vectors / tile_vectors;
  for (std::size_t tile = block; tile < tiles; tile += blocks) {
    const std::size_t first = tile * tile_vectors + thread;
    T xs[loads_per_thread][V];
    T ys[loads_per_thread][V];
SWITCHYARD_UNROLL
    for (int u = 0; u < loads_per_thread; ++u) {
      load_vector(op.x, first + std::size_t{block_threads} * u, xs[u]);
      if constexpr (Op::two_inputs) load_vector(op.y, first + std::size_t{block_threads} * u, ys[u]);
    }
SWITCHYARD_UNROLL
    for (int u = 0; u < loads_per_thread; ++u) {
      add_vector(op, acc, xs[u], ys[u], first_index + (first + std::size_t{block_threads} * u) * V);
    }
  }
  const std::size_t global = std::size_t{block} * block_threads + thread;
  const std::size_t threads = std::size_t{blocks} * block_threads;
  for (std::size_t v = tiles * tile_vectors + global; v < vectors; v += threads) {
    T xv[V];
    T yv[V];
    load_vector(op.x, v, xv);
    if constexpr (Op::two_inputs) load_vector(op.y, v, yv);
    add_vector(op, acc, xv, yv, first_index + v * V);
  }
  for (std::size_t i = vectors * V + global; i < n; i += threads) {
    op.add(acc, op.x[i], Op::two_inputs ? op.y[i] : T{}, first_index + i);
  }
  return acc;
}

/// The block's combine of its threads' partials; the result is valid in
/// thread 0. Callers that reduce twice in one kernel __syncthreads() between.
template <class Op>
__device__ __forceinline__ typename Op::partial block_partial(const Op& op, const typename Op::partial& mine) {
  using block_reduce = cub::BlockReduce<typename Op::partial, block_threads, cub::BLOCK_REDUCE_WARP_REDUCTIONS>;
  __shared__ typename block_reduce::TempStorage scratch;
  return block_reduce(scratch).Reduce(mine, op);
}

/// Reads a partial another block wrote, past the (incoherent) L1 cache.
template <class P>
__device__ __forceinline__ P load_from_other_block(const P* p) {
  static_assert(sizeof(P) % sizeof(unsigned) == 0);
  P out;
  unsigned words[sizeof(P) / sizeof(unsigned)];
  const auto* src = reinterpret_cast<const unsigned*>(p);
SWITCHYARD_UNROLL
  for (std::size_t k = 0; k < sizeof(P) / sizeof(unsigned); ++k) words[k] = __ldcg(src + k);
  std::memcpy(&out, words, sizeof(P));
  return out;
}

/// One block combines `count` block partials in a fixed order (thread t
/// takes t, t + block_threads, ... in turn, then the block combine) and
/// thread 0 writes the op's result.
template <class Op>
__device__ __forceinline__ void finish_partials(const Op& op, const typename Op::partial* partials, unsigned count,
                                                typename Op::result* out) {
  typename Op::partial p = Op::identity();
  for (unsigned i = threadIdx.x; i < count; i += block_threads) p = op(p, load_from_other_block(partials + i));
  p = block_partial(op, p);
  if (threadIdx.x == 0) *out = Op::to_result(p);
}

}  // namespace switchyard::backends::cuda
