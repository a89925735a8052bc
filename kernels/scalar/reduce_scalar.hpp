// The scalar reference kernels: plain loops over one chunk, used by the
// serial backend and as the oracle the SIMD kernels are tested against.
// Floating-point sums follow kernels/common/sum_layout.hpp lane for lane, so
// they return the same bits as the SIMD kernels. They take the SIMD kernels'
// arguments, `stream` too (how long the input a chunk is part of runs on: the
// SIMD kernels' read-ahead hint), which a scalar loop has no use for.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

#include "kernels/common/partials.hpp"
#include "kernels/common/sum_layout.hpp"

namespace switchyard::kernels::scalar {

/// Sums load(i) for i in [0, n) in the fixed lane layout.
template <class A, class Load>
sum_partial<A> layout_sum(std::size_t n, accuracy mode, Load load) {
  constexpr std::size_t L = lanes<A>;
  alignas(64) A s[L] = {};
  alignas(64) A c[L] = {};
  // One row of L lanes; lanes past n add +0.0 as the SIMD kernels' padding does.
  auto row = [&](A* acc, std::size_t i) {
    for (std::size_t j = 0; j < L; ++j) acc[j] = acc[j] + (i + j < n ? load(i + j) : A(0));
  };
  if (mode == accuracy::pairwise) {
    pairwise_stack<A> stack;
    for (std::size_t leaf = 0; leaf < n; leaf += leaf_rows * L) {
      A* t = stack.next_leaf();
      std::fill(t, t + L, A(0));
      const std::size_t end = std::min(n, leaf + leaf_rows * L);
      for (std::size_t i = leaf; i < end; i += L) row(t, i);
      stack.push_leaf();
    }
    stack.collapse(s);
  } else if (mode == accuracy::compensated) {
    for (std::size_t i = 0; i < n; i += L) {
      for (std::size_t j = 0; j < L; ++j) neumaier_add(s[j], c[j], i + j < n ? load(i + j) : A(0));
    }
  } else {
    for (std::size_t i = 0; i < n; i += L) row(s, i);
    return fold_lanes_plain(s);
  }
  return fold_lanes(s, c);
}

// Integer sums wrap modulo 2^64: unsigned arithmetic, converted back at the end.
template <class Load>
std::int64_t wrapping_sum(std::size_t n, Load load) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += load(i);
  return static_cast<std::int64_t>(s);
}

template <class T>
sum_partial_t<T> sum(const T* x, std::size_t n, accuracy mode, std::size_t /*stream*/) {
  if constexpr (std::is_floating_point_v<T>) {
    if (widened<T>(mode)) {
      return narrowed<T>(layout_sum<double>(n, accuracy::fast, [x](std::size_t i) { return double(x[i]); }));
    }
    return layout_sum<T>(n, mode, [x](std::size_t i) { return x[i]; });
  } else {
    return wrapping_sum(n, [x](std::size_t i) { return static_cast<std::uint64_t>(x[i]); });
  }
}

template <class T>
sum_partial_t<T> dot(const T* x, const T* y, std::size_t n, accuracy mode, std::size_t /*stream*/) {
  if constexpr (std::is_floating_point_v<T>) {
    if (widened<T>(mode)) {
      return narrowed<T>(
          layout_sum<double>(n, accuracy::fast, [x, y](std::size_t i) { return double(x[i]) * double(y[i]); }));
    }
    return layout_sum<T>(n, mode, [x, y](std::size_t i) { return x[i] * y[i]; });
  } else {
    return wrapping_sum(n, [x, y](std::size_t i) {
      return static_cast<std::uint64_t>(x[i]) * static_cast<std::uint64_t>(y[i]);
    });
  }
}

template <class T>
sum_partial_t<T> sum_of_squares(const T* x, std::size_t n, accuracy mode, std::size_t stream) {
  return dot(x, x, n, mode, stream);
}

/// Squares summed in double lanes, for norm2: exact squares for float input,
/// no overflow for any float or integer input.
template <class In>
sum_partial<double> sum_of_squares_wide(const In* x, std::size_t n, accuracy mode, std::size_t /*stream*/) {
  return layout_sum<double>(n, double_lane_mode<In>(mode), [x](std::size_t i) {
    const double v = static_cast<double>(x[i]);
    return v * v;
  });
}

template <bool kMax, class T>
extremum<T> arg_extremum(const T* x, std::size_t n) {
  extremum<T> best{x[0], 0};
  for (std::size_t i = 0; i < n; ++i) {
    if (is_nan(x[i])) return {x[i], i};
    if (kMax ? x[i] > best.value : x[i] < best.value) best = {x[i], i};
  }
  return best;
}

template <class T>
extremum<T> argmin(const T* x, std::size_t n) { return arg_extremum<false>(x, n); }
template <class T>
extremum<T> argmax(const T* x, std::size_t n) { return arg_extremum<true>(x, n); }

template <class T>
bounds<T> minmax(const T* x, std::size_t n) {
  bounds<T> b{x[0], x[0]};
  for (std::size_t i = 0; i < n; ++i) {
    if (is_nan(x[i])) return {x[i], x[i]};
    if (x[i] < b.min) b.min = x[i];
    if (x[i] > b.max) b.max = x[i];
  }
  return b;
}

template <class T>
std::size_t count(const T* x, std::size_t n, compare<T> pred, std::size_t /*stream*/) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) k += pred(x[i]) ? 1 : 0;
  return k;
}

}  // namespace switchyard::kernels::scalar
