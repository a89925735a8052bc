// What serial, simd and threads share: a built-in reduction cut into the
// fixed chunks (kernels/common/chunking.hpp), each chunk's partial computed by
// a kernel set through the one op -> kernel mapping (run_chunk), the partials
// combined in the fixed tree. The three differ only in their kernel set and in
// how the chunks are scheduled (in order, or across a oneTBB arena).
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include <switchyard/detail/tree_reduce.hpp>

#include "core/src/compute_backend.hpp"
#include "core/src/one_chunk.hpp"
#include "kernels/common/chunk_kernel.hpp"
#include "kernels/common/chunking.hpp"

namespace switchyard::backends {

template <class KernelSet>
class chunked_backend : public detail::compute_backend {
 public:
  detail::status reduce(const kernels::reduction& r, const detail::placement& p, void* partial) noexcept override {
    return detail::guarded([&] {
      kernels::with_types(r, [&]<class T, class P>() { *static_cast<P*>(partial) = reduce_as<T, P>(r, p); });
    });
  }

  /// A call of one chunk has nothing to split or schedule: every chunked
  /// backend runs it on the caller's thread.
  const detail::one_chunk_calls* one_chunk() const noexcept override {
    return &detail::one_chunk_calls_of<KernelSet>();
  }

  /// In order, on the caller's thread; the threads backend spreads them.
  detail::status run_chunks(std::size_t count, unsigned, detail::function_ref<void(std::size_t)> body) noexcept override {
    return detail::guarded([&] {
      for (std::size_t i = 0; i < count; ++i) body(i);
    });
  }

 private:
  template <class T, class P>
  P reduce_as(const kernels::reduction& r, const detail::placement& p) {
    const T* x = static_cast<const T*>(r.x);
    const T* y = static_cast<const T*>(r.y);
    auto one = [&](std::size_t c) {
      const std::size_t begin = c * kernels::chunk_elements;
      const std::size_t len = std::min(kernels::chunk_elements, r.n - begin);
      return kernels::run_chunk<KernelSet, T, P>(r, x + begin, y ? y + begin : nullptr, begin, len);
    };
    const std::size_t count = kernels::chunk_count(r.n);
    if (count == 1) return one(0);
    std::vector<P> parts(count);
    auto body = [&](std::size_t c) { parts[c] = one(c); };
    detail::throw_if_failed(run_chunks(count, p.max_threads, body));
    return detail::tree_reduce(std::span(parts),
                               [&](const P& l, const P& rr) { return kernels::combine_partials(r.op, l, rr); });
  }
};

}  // namespace switchyard::backends
