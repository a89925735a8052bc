// The kernels' arithmetic without a GPU: every thread's share of the input
// (the agent's tile loop, its 16-byte loads and its tails) and every op's
// identity, add and combine, replayed on the host for whole grids of several
// sizes and held to the serial backend. What only a GPU can run (cub's block
// combine, the last-block count, streams, staging) is cuda_test's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "backends/cuda/reduce_typed.cuh"
#include "support/gpu_results.hpp"
#include "support/reference.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;
using st::expect_close;
using st::same;
namespace cu = switchyard::backends::cuda;
namespace k = switchyard::kernels;

namespace {

constexpr sy::options on_serial{.backend = sy::backend::serial};

/// What a grid of `blocks` blocks computes: each thread's partial, each
/// block's combine of its threads, then the blocks' (in index order; the GPU
/// combines in cub's fixed tree, which the ops do not depend on but for
/// rounding).
template <class T, class Op>
typename Op::result replay(const Op& op, std::size_t n, std::size_t first_index, unsigned blocks) {
  auto total = Op::identity();
  for (unsigned b = 0; b < blocks; ++b) {
    auto block = Op::identity();
    for (unsigned t = 0; t < cu::block_threads; ++t) {
      block = op(block, cu::thread_partial<Op, T>(op, n, first_index, b, blocks, t));
    }
    total = op(total, block);
  }
  return Op::to_result(total);
}

/// The result a replayed grid gives for the call `r` describes.
template <class T, class R>
R replay_call(const k::reduction& r, std::size_t first_index, unsigned blocks) {
  R out{};
  cu::detail::with_device_op<T>(r, [&](auto op) {
    using Op = decltype(op);
    if constexpr (std::is_same_v<typename Op::result, R>) {
      out = replay<T>(op, r.n, first_index, blocks);
    } else {
      ADD_FAILURE() << "op " << int(r.op) << " gives another result type";
    }
  });
  return out;
}

template <class T>
k::reduction call(k::op_kind op, const std::vector<T>& x, std::type_identity_t<const T*> y = nullptr,
                  sy::accuracy mode = sy::accuracy::compensated) {
  return {.op = op, .type = k::kind_of<T>(), .mode = mode, .x = x.data(), .y = y, .n = x.size()};
}

template <class T>
void check(const std::vector<T>& v, const std::vector<T>& w, unsigned blocks) {
  using S = k::sum_partial_t<T>;
  auto total = [](const S& p) {
    if constexpr (std::is_floating_point_v<T>) {
      return k::finish(p);
    } else {
      return p;
    }
  };
  for (auto mode : {sy::accuracy::fast, sy::accuracy::compensated}) {
    const std::string m = mode == sy::accuracy::fast ? " (fast)" : " (compensated)";
    expect_close(total(replay_call<T, S>(call(k::op_kind::sum, v, nullptr, mode), 0, blocks)), sy::sum(v, on_serial),
                 "sum" + m);
    expect_close(total(replay_call<T, S>(call(k::op_kind::dot, v, w.data(), mode), 0, blocks)),
                 sy::dot(v, w, on_serial), "dot" + m);
    expect_close(total(replay_call<T, S>(call(k::op_kind::sum_of_squares, v, nullptr, mode), 0, blocks)),
                 sy::sum_of_squares(v, on_serial), "sum_of_squares" + m);
    if constexpr (!std::is_same_v<T, double>) {
      const auto wide = replay_call<T, k::sum_partial<double>>(call(k::op_kind::sum_of_squares_wide, v, nullptr, mode),
                                                               0, blocks);
      expect_close(static_cast<sy::norm_t<T>>(std::sqrt(k::finish(wide))), sy::norm2(v, on_serial), "norm2" + m);
    }
  }
  // Indices count from first_index; ties and NaNs keep the lowest.
  constexpr std::size_t first = 1000;
  const auto mn = replay_call<T, k::extremum<T>>(call(k::op_kind::argmin, v), first, blocks);
  const auto mx = replay_call<T, k::extremum<T>>(call(k::op_kind::argmax, v), first, blocks);
  const auto want_mn = *sy::argmin(v, on_serial), want_mx = *sy::argmax(v, on_serial);
  EXPECT_EQ(mn.index, first + want_mn.index) << "argmin";
  EXPECT_TRUE(same(mn.value, want_mn.value)) << "argmin";
  EXPECT_EQ(mx.index, first + want_mx.index) << "argmax";
  EXPECT_TRUE(same(mx.value, want_mx.value)) << "argmax";
  const auto b = replay_call<T, k::bounds<T>>(call(k::op_kind::minmax, v), 0, blocks);
  const auto want_b = *sy::minmax(v, on_serial);
  EXPECT_TRUE(same(b.min, want_b.min) && same(b.max, want_b.max)) << "minmax";
  const T pivot = v[v.size() / 2];
  for (auto pred : {sy::gt(T(0)), sy::le(pivot), sy::eq(pivot), sy::ne(pivot)}) {
    auto c = call(k::op_kind::count, v);
    c.pred_op = pred.op;
    std::memcpy(&c.pred_bits, &pred.value, sizeof(T));
    EXPECT_EQ((replay_call<T, std::size_t>(c, 0, blocks)), sy::count_if(v, pred, on_serial)) << "count op " << int(pred.op);
  }
}

template <class T>
void check_type() {
  constexpr std::size_t tile = cu::tile_elements<T>;
  for (std::size_t n : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{65}, tile - 1,
                        tile, tile + 1, 3 * tile + 77, std::size_t{100'003}}) {
    for (st::pattern p : st::patterns_for<T>()) {
      // Heap vectors are 16-byte aligned, as device memory is.
      const auto v = st::make_pattern<T>(p, n, n * 5 + 3);
      const auto w = st::random_values<T>(n, n + 11);
      for (unsigned blocks : {1u, 2u, 5u, 40u}) {
        SCOPED_TRACE("n=" + std::to_string(n) + " pattern=" + st::name(p) + " blocks=" + std::to_string(blocks));
        check<T>(v, w, blocks);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

/// Inputs whose every element ties the identity of argmin or argmax (+inf,
/// -inf, the type's largest and smallest): a thread's in-order add must
/// still take its first element, whose index is a real one.
template <class T>
void check_identity_ties() {
  using limits = std::numeric_limits<T>;
  const T top = std::is_floating_point_v<T> ? limits::infinity() : limits::max();
  const T bottom = std::is_floating_point_v<T> ? -limits::infinity() : limits::lowest();
  for (std::size_t n : {std::size_t{1}, std::size_t{17}, 3 * cu::tile_elements<T> + 77}) {
    for (T value : {top, bottom}) {
      const std::vector<T> v(n, value);
      for (unsigned blocks : {1u, 5u}) {
        SCOPED_TRACE("n=" + std::to_string(n) + " blocks=" + std::to_string(blocks));
        check<T>(v, v, blocks);
        const auto mn = replay_call<T, k::extremum<T>>(call(k::op_kind::argmin, v), 0, blocks);
        const auto mx = replay_call<T, k::extremum<T>>(call(k::op_kind::argmax, v), 0, blocks);
        EXPECT_EQ(mn.index, 0u);
        EXPECT_EQ(mx.index, 0u);
      }
    }
  }
}

TEST(GridReplay, ElementsThatTieTheIdentity) {
  check_identity_ties<float>();
  check_identity_ties<double>();
  check_identity_ties<std::int32_t>();
  check_identity_ties<std::int64_t>();
  check_identity_ties<std::uint8_t>();
}

TEST(GridReplay, Float) { check_type<float>(); }
TEST(GridReplay, Double) { check_type<double>(); }
TEST(GridReplay, Int32) { check_type<std::int32_t>(); }
TEST(GridReplay, Int64) { check_type<std::int64_t>(); }
TEST(GridReplay, Uint8) { check_type<std::uint8_t>(); }

}  // namespace
