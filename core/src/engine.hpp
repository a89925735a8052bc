// The chunk engine behind every built-in reduction: split the input into
// fixed chunks, compute each chunk's partial with the backend's kernel set
// (sequentially, across the thread arena, or in worker processes; the GPU
// has chunks of its own), and
// combine the partials in the fixed tree. Chunk boundaries and the tree depend
// only on n, so every CPU backend and every thread count produces the same bits.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <switchyard/detail/function_ref.hpp>
#include <switchyard/detail/tree_reduce.hpp>
#include <switchyard/error.hpp>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/serial/serial.hpp"
#include "backends/processes/pool.hpp"
#include "backends/simd/simd.hpp"
#include "backends/threads/threads.hpp"
#include "plan.hpp"

namespace switchyard::detail {

using kernels::op_kind;
using kernels::reduction;

/// A call's description for the backends that cannot run a lambda of this
/// process (worker processes, the GPU): the op, the element type, the inputs.
template <class T>
reduction describe(op_kind op, std::span<const T> x, const plan& p, const T* y = nullptr) {
  return {op, kernels::kind_of<T>(), p.mode, comparison::equal, 0, x.data(), y, x.size(), p.input, p.deterministic};
}

/// chunk(kernel_set, begin, length) -> P for each chunk of the call `r`
/// describes, combined by combine. r.n must be at least 1.
template <class P, class Chunk, class Combine>
P run_chunked(const plan& p, const reduction& r, Chunk&& chunk, Combine&& combine) {
  const std::size_t n = r.n;
  const std::size_t count = (n + chunk_elements - 1) / chunk_elements;
  auto one = [&](auto kernels, std::size_t c) {
    const std::size_t begin = c * chunk_elements;
    return chunk(kernels, begin, std::min(chunk_elements, n - begin));
  };
  // run_all(body) calls body(c) for every chunk: in order, or on the arena.
  auto gather = [&](auto kernels, auto run_all) {
    if (count == 1) return one(kernels, 0);
    std::vector<P> parts(count);
    auto body = [&](std::size_t c) { parts[c] = one(kernels, c); };
    run_all(body);
    return tree_reduce(std::span(parts), combine);
  };
  auto in_order = [&](auto& body) {
    for (std::size_t c = 0; c < count; ++c) body(c);
  };
  switch (p.where) {
    case backend::serial:
      return gather(backends::serial::kernel_set{}, in_order);
    case backend::simd:
      return gather(backends::simd::kernel_set{}, in_order);
    case backend::threads:
      return gather(backends::simd::kernel_set{},
                    [&](auto& body) { backends::threads::for_each(count, p.max_threads, body); });
    case backend::processes: {
      std::vector<P> parts(count);
      backends::processes::chunk_partials(r, chunk_elements, parts.data(), sizeof(P), p.max_threads);
      return tree_reduce(std::span(parts), combine);
    }
    case backend::cuda: {
      std::vector<P> parts(backends::cuda::chunk_count(r));
      backends::cuda::reduce_chunks(r, parts.data());
      return tree_reduce(std::span(parts), combine);
    }
    default:
      break;
  }
  throw error(errc::backend_unavailable,
              "backend " + std::string(to_string(p.where)) + " has no chunk engine in this build");
}

}  // namespace switchyard::detail
