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
#include "backends/cuda/thread_context.cuh"

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
      // norm2 of narrow types: the squares of float and int32 summed in plain
      // double (a thread's few thousand terms err far below what the float
      // or the square root keeps), uint8's exactly in integers.
      if constexpr (std::is_same_v<T, std::uint8_t>) {
        return f(exact_squares_op<T>{x, y});
      } else if constexpr (!std::is_same_v<T, double>) {
        return f(sum_op<op_kind::sum_of_squares_wide, T, double, false>{x, y});
      }
      break;
    case op_kind::argmin: return f(extremum_op<false, T>{x, y});
    case op_kind::argmax: return f(extremum_op<true, T>{x, y});
    case op_kind::minmax: return f(minmax_op<T>{x, y});
    case op_kind::count: {
      T value{};
      std::memcpy(&value, &r.pred_bits, sizeof(T));
      switch (r.pred_op) {
        case comparison::less: return f(count_op<T, comparison::less>{x, y, value});
        case comparison::less_equal: return f(count_op<T, comparison::less_equal>{x, y, value});
        case comparison::equal: return f(count_op<T, comparison::equal>{x, y, value});
        case comparison::not_equal: return f(count_op<T, comparison::not_equal>{x, y, value});
        case comparison::greater_equal: return f(count_op<T, comparison::greater_equal>{x, y, value});
        case comparison::greater: return f(count_op<T, comparison::greater>{x, y, value});
      }
      break;
    }
  }
  throw error(errc::invalid_argument, "cuda: op " + std::to_string(static_cast<int>(r.op)) +
                                          " is not defined for this element type");
}

/// Input already in device memory: one chunk, reduced in place on the
/// calling thread's stream, with its cached scratch; the result lands in
/// its pinned slot. One launch (two for the two-pass finish) and a sync.
template <class T, class Op>
void reduce_in_place(const Op& op, const kernels::reduction& r, const switchyard::detail::placement& p,
                     typename Op::result* out, const launch_config& config) {
  using R = typename Op::result;
  const cudaStream_t s = cudaStreamPerThread;
  thread_context& context = thread_context::current();
  const unsigned blocks = blocks_for<Op, T>(r.n, p.deterministic, context.device());
  launch_reduce<Op, T>(op, r.n, 0, blocks, context.scratch(), context.template result_on_device<R>(), config.finish, s);
  check(cudaStreamSynchronize(s), "the reduction");
  *out = *context.template result_on_host<R>();
}

/// Host input: chunk k is staged (pinned), copied on lane k % 3's stream
/// and reduced there, while the engine's threads stage chunk k + 1. The
/// lanes (streams, events, scratch) are the thread's; the chunks' device
/// and pinned buffers come from pools.
template <class T, class Op>
void stream_from_host(Op op, const kernels::reduction& r, const switchyard::detail::placement& p,
                      typename Op::result* out, const launch_config& config) {
  using R = typename Op::result;
  constexpr std::size_t chunk = stream_chunk_bytes / sizeof(T);
  const std::size_t count = chunk_count(r, p);
  const bool staged = !(copies_directly(r.x, r.n * sizeof(T)) && (!Op::two_inputs || copies_directly(r.y, r.n * sizeof(T))));
  thread_context& context = thread_context::current();
  const unsigned blocks = blocks_for<Op, T>(std::min(r.n, chunk), p.deterministic, context.device());
  struct lane_buffers {
    std::optional<staging_lease> host_x, host_y;
    std::optional<device_chunk_lease> x, y;
  };
  const std::size_t lanes = std::min<std::size_t>(3, count);
  // Declared before the code that queues work into them; every exit below
  // synchronizes the lanes first (wait_all), so no buffer goes back to its
  // pool while a copy or a kernel still uses it.
  device_buffer results(count * sizeof(R), cudaStreamPerThread);
  std::vector<lane_buffers> buffers(lanes);
  auto wait_all = [&] {
    for (std::size_t l = 0; l < lanes; ++l) (void)cudaStreamSynchronize(context.lane(l).s.get());
  };
  try {
    // results' allocation is ordered on the thread's stream; the lanes' work must follow it.
    check(cudaStreamSynchronize(cudaStreamPerThread), "allocating the partials");
    for (std::size_t k = 0; k < count; ++k) {
      stream_lane& lane = context.lane(k % lanes);
      lane_buffers& held = buffers[k % lanes];
      const cudaStream_t s = lane.s.get();
      if (k >= lanes) check(cudaEventSynchronize(lane.done.get()), "waiting for a staging lane");
      const std::size_t begin = k * chunk;
      const std::size_t len = std::min(chunk, r.n - begin);
      const std::size_t bytes = len * sizeof(T);
      auto send = [&](const void* input, std::optional<staging_lease>& host, std::optional<device_chunk_lease>& device) {
        if (!device) device.emplace();
        const void* from = static_cast<const T*>(input) + begin;
        if (staged) {
          if (!host) host.emplace();
          parallel_copy(host->template as<T>(), from, bytes, p.threads);
          from = host->template as<T>();
        }
        check(cudaMemcpyAsync(device->get(), from, bytes, cudaMemcpyHostToDevice, s), "cudaMemcpyAsync of a chunk");
      };
      send(r.x, held.host_x, held.x);
      if constexpr (Op::two_inputs) send(r.y, held.host_y, held.y);
      Op chunk_op = op;
      chunk_op.x = held.x->template as<T>();
      chunk_op.y = Op::two_inputs ? held.y->template as<T>() : nullptr;
      launch_reduce<Op, T>(chunk_op, len, begin, blocks, lane.scratch, results.as<R>() + k, config.finish, s);
      check(cudaEventRecord(lane.done.get(), s), "cudaEventRecord");
    }
    for (std::size_t l = 0; l < lanes; ++l) check(cudaStreamSynchronize(context.lane(l).s.get()), "the reduction");
  } catch (...) {
    wait_all();
    throw;
  }
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
      const device_scope on_owner(owner_of(r.x));
      detail::reduce_in_place<T>(op, r, p, results, config);
    } else if (reads_host_in_place(r, p)) {
      // Still refuses GPU memory passed as a host range, as the streamed path does.
      (void)copies_directly(r.x, r.n * sizeof(T));
      if (r.y != nullptr) (void)copies_directly(r.y, r.n * sizeof(T));
      detail::reduce_in_place<T>(op, r, p, results, config);
    } else {
      detail::stream_from_host<T>(op, r, p, results, config);
    }
  });
}

}  // namespace switchyard::backends::cuda
