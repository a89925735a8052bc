// What each built-in op is on the GPU: the partial a thread accumulates, how
// one element joins it, how two partials combine (the same combines the CPU
// backends use, from kernels/common/partials.hpp), and what the finished
// partial hands back to the core (the CPU backends' partial type). Host and
// device both: tests replay a grid on the host with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

#include "kernels/common/partials.hpp"
#include "kernels/common/reduction.hpp"
#include "kernels/common/sum_layout.hpp"

namespace switchyard::backends::cuda {

using kernels::op_kind;
using switchyard::comparison;

/// a * b rounded on its own: on the GPU through the round-to-nearest
/// intrinsics, which ptxas never contracts with the add that follows into an
/// FMA (a plain `*` it may, per architecture or under JIT), so the bits of
/// dot and sum_of_squares do not depend on the GPU model. The host replay
/// (ISO C++, no -ffp-contract) rounds the same way.
template <class A>
__host__ __device__ __forceinline__ A product(A a, A b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<A, float>) {
    return __fmul_rn(a, b);
  } else {
    return __dmul_rn(a, b);
  }
#else
  return a * b;
#endif
}

/// The value an element contributes to a sum-like op, in the accumulator type.
template <op_kind Op, class T, class A>
__host__ __device__ __forceinline__ A term(T x, T y) {
  if constexpr (std::is_floating_point_v<A>) {
    if constexpr (Op == op_kind::sum) return A(x);
    if constexpr (Op == op_kind::dot) return product(A(x), A(y));
    return product(A(x), A(x));  // sum_of_squares, sum_of_squares_wide (double squares: exact for float)
  } else {
    // Integers wrap modulo 2^64: unsigned arithmetic throughout.
    const auto ux = static_cast<std::uint64_t>(static_cast<std::int64_t>(x));
    if constexpr (Op == op_kind::sum) return ux;
    if constexpr (Op == op_kind::dot) return ux * static_cast<std::uint64_t>(static_cast<std::int64_t>(y));
    return ux * ux;
  }
}

/// sum, dot, sum_of_squares (A = T for floats, uint64 for integers) and
/// sum_of_squares_wide (A = double). kCompensated: Neumaier summation in each
/// thread (compensated and pairwise: a thread adds thousands of elements in
/// sequence, where a plain sum's error would pass pairwise's bound);
/// otherwise (fast) a plain running sum per thread. Partials always combine
/// with two-sum.
template <op_kind Op, class T, class A, bool kCompensated>
struct sum_op {
  static constexpr bool floating = std::is_floating_point_v<A>;
  using partial = std::conditional_t<floating, kernels::sum_partial<A>, std::uint64_t>;
  using result = std::conditional_t<floating, kernels::sum_partial<A>, std::int64_t>;
  static constexpr bool two_inputs = Op == op_kind::dot;
  const T* x;
  const T* y;

  __host__ __device__ static partial identity() { return partial{}; }
  __host__ __device__ __forceinline__ void add(partial& p, T xi, T yi, std::size_t) const {
    const A v = term<Op, T, A>(xi, yi);
    if constexpr (!floating) {
      p += v;
    } else if constexpr (kCompensated) {
      kernels::neumaier_add(p.hi, p.lo, v);
    } else {
      p.hi += v;
    }
  }
  __host__ __device__ __forceinline__ partial operator()(const partial& l, const partial& r) const {
    if constexpr (floating) {
      return kernels::combine(l, r);
    } else {
      return l + r;
    }
  }
  __host__ __device__ static result to_result(const partial& p) {
    if constexpr (floating) {
      return p;
    } else {
      return static_cast<std::int64_t>(p);
    }
  }
};

/// The identity of argmin (kMax false) or argmax: a value every element ties
/// or beats, at an index past any input, so a real element always wins.
template <bool kMax, class T>
__host__ __device__ __forceinline__ kernels::extremum<T> no_extremum() {
  if constexpr (std::is_floating_point_v<T>) {
    return {kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity(), SIZE_MAX};
  } else {
    return {kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max(), SIZE_MAX};
  }
}

/// Joins element i to a thread's argmin (kMax false) or argmax partial.
/// Within a thread indices only grow, so the full combine (NaN on both
/// sides, then value, then index) is not needed per element: the element
/// replaces the partial when it is strictly better, or when it is the first
/// NaN, or when it ties the identity (whose index is past any input).
template <bool kMax, class T>
__host__ __device__ __forceinline__ void add_in_order(kernels::extremum<T>& p, T x, std::size_t i) {
  const bool better = kMax ? x > p.value : x < p.value;  // false when either is NaN
  const bool ties_identity = x == p.value && p.index == SIZE_MAX;
  if constexpr (std::is_floating_point_v<T>) {
    if (better || ((kernels::is_nan(x) || ties_identity) && !kernels::is_nan(p.value))) p = {x, i};
  } else {
    if (better || ties_identity) p = {x, i};
  }
}

/// The first best element of a 16-byte vector of integers: its value and
/// its position. On the device, bytes go four to a word through the SIMD
/// video instructions (the per-byte compare and select of a plain loop kept
/// a uint8 argmin at a third of the memory's speed).
template <bool kMax, class T, int V>
__host__ __device__ __forceinline__ void best_in_vector(const T (&v)[V], T& best, unsigned& at) {
#ifdef __CUDA_ARCH__
  if constexpr (sizeof(T) == 1 && std::is_unsigned_v<T>) {
    unsigned w[4];
    std::memcpy(w, v, sizeof w);
    auto pick = [](unsigned a, unsigned b) { return kMax ? __vmaxu4(a, b) : __vminu4(a, b); };
    unsigned m = pick(pick(w[0], w[1]), pick(w[2], w[3]));
    m = pick(m, m >> 16);  // bytes 2 and 3 shift in as 0: only bytes 0 and 1 are kept
    m = pick(m, m >> 8);
    const unsigned splat = (m & 0xffu) * 0x01010101u;
    const unsigned long long low =
        (static_cast<unsigned long long>(__vcmpeq4(w[1], splat)) << 32) | __vcmpeq4(w[0], splat);
    const unsigned long long high =
        (static_cast<unsigned long long>(__vcmpeq4(w[3], splat)) << 32) | __vcmpeq4(w[2], splat);
    best = static_cast<T>(m & 0xffu);
    at = low != 0 ? static_cast<unsigned>(__ffsll(low) - 1) / 8 : 8 + static_cast<unsigned>(__ffsll(high) - 1) / 8;
    return;
  }
#endif
  best = v[0];
  at = 0;
  for (int j = 1; j < V; ++j) {
    if (kMax ? v[j] > best : v[j] < best) {
      best = v[j];
      at = static_cast<unsigned>(j);
    }
  }
}

/// argmin / argmax. Threads see interleaved indices, so the combine of two
/// threads' partials decides ties and NaNs by index
/// (kernels::combine_extremum does).
template <bool kMax, class T>
struct extremum_op {
  using partial = kernels::extremum<T>;
  using result = partial;
  static constexpr bool two_inputs = false;
  const T* x;
  const T* y;

  __host__ __device__ static partial identity() { return no_extremum<kMax, T>(); }
  __host__ __device__ __forceinline__ void add(partial& p, T xi, T, std::size_t i) const {
    add_in_order<kMax>(p, xi, i);
  }
  /// A whole vector of integers at indices [i, i + V): its first best
  /// element joins the partial, which gives what adding each in order
  /// gives (integers have no NaN; a later tie never replaces).
  template <int V>
    requires std::is_integral_v<T>
  __host__ __device__ __forceinline__ void add_vector(partial& p, const T (&v)[V], std::size_t i) const {
    T best;
    unsigned at;
    best_in_vector<kMax>(v, best, at);
    add_in_order<kMax>(p, best, i + at);
  }
  __host__ __device__ __forceinline__ partial operator()(const partial& l, const partial& r) const {
    return kernels::combine_extremum<kMax, T>(l, r);
  }
  __host__ __device__ static result to_result(const partial& p) { return p; }
};

/// minmax as an argmin and an argmax together: the indices decide ties
/// between threads (-0.0 and +0.0: the first wins, as on the CPU) and make
/// the first NaN both bounds.
template <class T>
struct minmax_op {
  struct partial {
    kernels::extremum<T> lo, hi;
  };
  using result = kernels::bounds<T>;
  static constexpr bool two_inputs = false;
  const T* x;
  const T* y;

  __host__ __device__ static partial identity() { return {no_extremum<false, T>(), no_extremum<true, T>()}; }
  __host__ __device__ __forceinline__ void add(partial& p, T xi, T, std::size_t i) const {
    add_in_order<false>(p.lo, xi, i);
    add_in_order<true>(p.hi, xi, i);
  }
  __host__ __device__ __forceinline__ partial operator()(const partial& l, const partial& r) const {
    return {kernels::combine_extremum<false, T>(l.lo, r.lo), kernels::combine_extremum<true, T>(l.hi, r.hi)};
  }
  __host__ __device__ static result to_result(const partial& p) { return {p.lo.value, p.hi.value}; }
};

/// `x <C> value`, the comparison fixed at compile time: the kernel does not
/// switch on it per element.
template <comparison C, class T>
__host__ __device__ __forceinline__ bool compares(T x, T value) {
  if constexpr (C == comparison::less) return x < value;
  if constexpr (C == comparison::less_equal) return x <= value;
  if constexpr (C == comparison::equal) return x == value;
  if constexpr (C == comparison::not_equal) return x != value;
  if constexpr (C == comparison::greater_equal) return x >= value;
  if constexpr (C == comparison::greater) return x > value;
}

/// count_if with a built-in comparison.
template <class T, comparison C>
struct count_op {
  using partial = unsigned long long;
  using result = std::size_t;
  static constexpr bool two_inputs = false;
  const T* x;
  const T* y;
  T value;

  __host__ __device__ static partial identity() { return 0; }
  __host__ __device__ __forceinline__ void add(partial& p, T xi, T, std::size_t) const {
    p += compares<C>(xi, value) ? 1 : 0;
  }
  __host__ __device__ __forceinline__ partial operator()(const partial& l, const partial& r) const { return l + r; }
  __host__ __device__ static result to_result(const partial& p) { return static_cast<std::size_t>(p); }
};

/// norm2's sum of squares of uint8 elements, in integers: a square is at
/// most 65,025, so 2^48 of them fit in 64 bits; the total is handed back as
/// an unevaluated double pair (the CPU backends' partial type), exactly.
template <class T>
struct exact_squares_op {
  static_assert(std::is_same_v<T, std::uint8_t>);
  using partial = std::uint64_t;
  using result = kernels::sum_partial<double>;
  static constexpr bool two_inputs = false;
  const T* x;
  const T* y;

  __host__ __device__ static partial identity() { return 0; }
  __host__ __device__ __forceinline__ void add(partial& p, T xi, T, std::size_t) const {
    p += static_cast<std::uint32_t>(xi) * xi;
  }
  __host__ __device__ __forceinline__ partial operator()(const partial& l, const partial& r) const { return l + r; }
  __host__ __device__ static result to_result(const partial& p) {
    const double hi = static_cast<double>(p);  // hi < 2^64: the round trip fits
    return {hi, static_cast<double>(static_cast<std::int64_t>(p - static_cast<std::uint64_t>(hi)))};
  }
};

}  // namespace switchyard::backends::cuda
