// reduce_chunks for one element type: picks the op's device form, then runs
// it over device memory in place or streams host memory through staging.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <switchyard/error.hpp>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/cuda_check.cuh"
#include "backends/cuda/device_ops.cuh"
#include "backends/cuda/dispatch_reduce.cuh"
#include "backends/cuda/staging.cuh"

namespace switchyard::backends::cuda {

template <class T>
void reduce_typed(const kernels::reduction& r, const switchyard::detail::placement& p, void* out,
                  const launch_config& config);

namespace detail {

/// Calls f(op) with the device form of r's op over T.
template <class T, class F>
void with_device_op(const kernels::reduction& r, F&& f) {
  const T* x = static_cast<const T*>(r.x);
  const T* y = static_cast<const T*>(r.y);
  auto sum_like = [&]<op_kind K, class A>() {
    if constexpr (std::is_floating_point_v<A>) {
      // Pairwise runs compensated here: a GPU thread's sequential sum has no
      // tree to keep its error at log2(n), and the compensation is free at
      // memory speed.
      if (r.mode != accuracy::fast) return f(sum_op<K, T, A, true>{x, y});
      return f(sum_op<K, T, A, false>{x, y});
    } else {
      return f(sum_op<K, T, A, false>{x, y});
    }
  };
  using A = std::conditional_t<std::is_floating_point_v<T>, T, std::uint64_t>;
  switch (r.op) {
    case op_kind::sum: return sum_like.template operator()<op_kind::sum, A>();
    case op_kind::dot: return sum_like.template operator()<op_kind::dot, A>();
    case op_kind::sum_of_squares: return sum_like.template operator()<op_kind::sum_of_squares, A>();
    case op_kind::sum_of_squares_wide:
      if constexpr (!std::is_same_v<T, double>) {
        return sum_like.template operator()<op_kind::sum_of_squares_wide, double>();
      }
      break;
    case op_kind::argmin: return f(extremum_op<false, T>{x, y});
    case op_kind::argmax: return f(extremum_op<true, T>{x, y});
    case op_kind::minmax: return f(minmax_op<T>{x, y});
    case op_kind::count: {
      compare<T> pred{r.pred_op, T{}};
      std::memcpy(&pred.value, &r.pred_bits, sizeof(T));
      return f(count_op<T>{x, y, pred});
    }
  }
  throw error(errc::invalid_argument, "cuda: op " + std::to_string(static_cast<int>(r.op)) +
                                          " is not defined for this element type");
}

/// Input already in device memory: one chunk, reduced in place.
template <class T, class Op>
void reduce_in_place(const Op& op, const kernels::reduction& r, const switchyard::detail::placement& p,
                     typename Op::result* out, const launch_config& config) {
  const cudaStream_t s = cudaStreamPerThread;
  const unsigned blocks = blocks_for<Op, T>(r.n, p.deterministic);
  reduce_scratch<Op> scratch(blocks, s);
  device_buffer result(sizeof(typename Op::result), s);
  launch_reduce<Op, T>(op, r.n, 0, blocks, scratch, result.as<typename Op::result>(), config.finish, s);
  check(cudaMemcpyAsync(out, result.get(), sizeof(typename Op::result), cudaMemcpyDeviceToHost, s),
        "cudaMemcpyAsync of the result");
  check(cudaStreamSynchronize(s), "the reduction");
}

/// One of the pipeline's lanes: a stream, its staging and device buffers.
template <class Op>
struct stream_slot {
  stream s;
  event done;
  std::optional<staging_lease> host_x, host_y;
  device_buffer x, y;
  reduce_scratch<Op> scratch;
  stream_slot(std::size_t bytes, bool two_inputs, bool staged, unsigned blocks)
      : x(bytes, s.get()), y(two_inputs ? bytes : 0, s.get()), scratch(blocks, s.get()) {
    if (staged) host_x.emplace();
    if (staged && two_inputs) host_y.emplace();
  }
  stream_slot(stream_slot&&) noexcept = default;
  // A staging buffer goes back to the pool only once no copy reads it.
  ~stream_slot() {
    if (s.get()) (void)cudaStreamSynchronize(s.get());
  }
};

/// Host input: chunk k is staged (pinned), copied on slot k % slots' stream
/// and reduced there, while the arena stages chunk k + 1.
template <class T, class Op>
void stream_from_host(Op op, const kernels::reduction& r, const switchyard::detail::placement& p,
                      typename Op::result* out, const launch_config& config) {
  using R = typename Op::result;
  constexpr std::size_t chunk = stream_chunk_bytes / sizeof(T);
  const std::size_t count = chunk_count(r, p.where);
  const bool staged = !(copies_directly(r.x, r.n * sizeof(T)) && (!Op::two_inputs || copies_directly(r.y, r.n * sizeof(T))));
  const std::size_t first_chunk = std::min(r.n, chunk);
  const unsigned blocks = blocks_for<Op, T>(first_chunk, p.deterministic);
  // Declared before the slots, so it is freed after their destructors have
  // synchronized the streams whose kernels write into it.
  device_buffer results(count * sizeof(R));
  // Three lanes: one filling, one copying, one reducing.
  std::vector<stream_slot<Op>> slots;
  slots.reserve(3);
  for (std::size_t i = 0; i < std::min<std::size_t>(3, count); ++i) {
    slots.emplace_back(first_chunk * sizeof(T), Op::two_inputs, staged, blocks);
  }
  for (std::size_t k = 0; k < count; ++k) {
    stream_slot<Op>& slot = slots[k % slots.size()];
    const cudaStream_t s = slot.s.get();
    if (k >= slots.size()) check(cudaEventSynchronize(slot.done.get()), "waiting for a staging lane");
    const std::size_t begin = k * chunk;
    const std::size_t len = std::min(chunk, r.n - begin);
    const std::size_t bytes = len * sizeof(T);
    auto send = [&](const void* input, std::optional<staging_lease>& host, device_buffer& device) {
      const void* from = static_cast<const T*>(input) + begin;
      if (host) {
        parallel_copy(host->template as<T>(), from, bytes, p.threads);
        from = host->template as<T>();
      }
      check(cudaMemcpyAsync(device.get(), from, bytes, cudaMemcpyHostToDevice, s), "cudaMemcpyAsync of a chunk");
    };
    send(r.x, slot.host_x, slot.x);
    if constexpr (Op::two_inputs) send(r.y, slot.host_y, slot.y);
    Op chunk_op = op;
    chunk_op.x = slot.x.template as<T>();
    chunk_op.y = Op::two_inputs ? slot.y.template as<T>() : nullptr;
    launch_reduce<Op, T>(chunk_op, len, begin, blocks, slot.scratch, results.as<R>() + k, config.finish, s);
    check(cudaEventRecord(slot.done.get(), s), "cudaEventRecord");
  }
  for (auto& slot : slots) check(cudaStreamSynchronize(slot.s.get()), "the reduction");
  check(cudaMemcpyAsync(out, results.get(), count * sizeof(R), cudaMemcpyDeviceToHost, cudaStreamPerThread),
        "cudaMemcpy of the partials");
  check(cudaStreamSynchronize(cudaStreamPerThread), "cudaMemcpy of the partials");
}

}  // namespace detail

template <class T>
void reduce_typed(const kernels::reduction& r, const switchyard::detail::placement& p, void* out,
                  const launch_config& config) {
  detail::with_device_op<T>(r, [&](auto op) {
    using Op = decltype(op);
    auto* results = static_cast<typename Op::result*>(out);
    if (p.where == switchyard::detail::memory::device) {
      detail::reduce_in_place<T>(op, r, p, results, config);
    } else {
      detail::stream_from_host<T>(op, r, p, results, config);
    }
  });
}

}  // namespace switchyard::backends::cuda
