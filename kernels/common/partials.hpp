// The partial results a kernel returns for one chunk, and how two adjacent
// chunks' partials combine. Shared by every kernel set and by the core, so
// that a combine is written once.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

// These combines run in the CUDA kernels too: callable from device code there.
#if defined(__CUDACC__)
#define SWITCHYARD_HOST_DEVICE __host__ __device__
#else
#define SWITCHYARD_HOST_DEVICE
#endif

namespace switchyard::kernels {

/// A floating-point sum as an unevaluated pair hi + lo; lo carries the
/// rounding error that compensated summation recovers (0 in the other modes'
/// per-element loops, though combines always track it).
template <class A>
struct sum_partial {
  A hi{};
  A lo{};
};

/// Neumaier's two-sum: the rounding error of hi_l + hi_r joins the lo parts.
template <class A>
SWITCHYARD_HOST_DEVICE constexpr sum_partial<A> combine(const sum_partial<A>& l, const sum_partial<A>& r) noexcept {
  const A t = l.hi + r.hi;
  const A err = std::abs(l.hi) >= std::abs(r.hi) ? (l.hi - t) + r.hi : (r.hi - t) + l.hi;
  return {t, (l.lo + r.lo) + err};
}

/// The value of a partial. Once hi is infinite or NaN, lo holds inf - inf
/// artefacts, so hi alone is the answer.
template <class A>
SWITCHYARD_HOST_DEVICE constexpr A finish(const sum_partial<A>& p) noexcept {
  return std::isfinite(p.hi) ? p.hi + p.lo : p.hi;
}

template <class T>
SWITCHYARD_HOST_DEVICE constexpr bool is_nan(T x) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    return x != x;
  } else {
    return false;
  }
}

/// An extreme element of a chunk and its index within the chunk.
template <class T>
struct extremum {
  T value{};
  std::size_t index = 0;
};

/// The first NaN wins, then the strictly better value; among equal values
/// (-0.0 and +0.0 are equal) and among NaNs the lower index wins. Decided by
/// index, not by which side is which, so the GPU's interleaved partials
/// combine in any order; on the CPU l always holds the lower indices.
template <bool kMax, class T>
SWITCHYARD_HOST_DEVICE constexpr extremum<T> combine_extremum(const extremum<T>& l, const extremum<T>& r) noexcept {
  const bool l_nan = is_nan(l.value), r_nan = is_nan(r.value);
  if (l_nan != r_nan) return l_nan ? l : r;
  if (!l_nan) {
    if (kMax ? r.value > l.value : r.value < l.value) return r;
    if (kMax ? l.value > r.value : l.value < r.value) return l;
  }
  return r.index < l.index ? r : l;
}

/// The least and greatest element of a chunk (both the first NaN if any).
template <class T>
struct bounds {
  T min{};
  T max{};
};

template <class T>
SWITCHYARD_HOST_DEVICE constexpr bounds<T> combine_bounds(const bounds<T>& l, const bounds<T>& r) noexcept {
  if (is_nan(l.min)) return l;
  if (is_nan(r.min)) return r;
  return {r.min < l.min ? r.min : l.min, r.max > l.max ? r.max : l.max};
}

}  // namespace switchyard::kernels

namespace switchyard::kernels {

/// What a chunk's sum is: a (hi, lo) pair for floats, a wrapping 64-bit
/// integer for integers.
template <class T>
using sum_partial_t =
    std::conditional_t<std::is_floating_point_v<T>, sum_partial<T>, std::int64_t>;

}  // namespace switchyard::kernels
