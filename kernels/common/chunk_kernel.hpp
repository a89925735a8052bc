// The op -> kernel mapping of the CPU kernels, written once: the serial,
// simd and threads backends and the worker process all run a chunk through
// run_chunk with their kernel set (kernels/scalar or kernels/simd).
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "kernels/common/reduction.hpp"
#include "kernels/common/sanitizers.hpp"

/// A kernel set: the loops of one kernel namespace (kernels::scalar,
/// kernels::simd) under the names run_chunk calls.
#define SWITCHYARD_KERNEL_SET(set, ns)                                                                           \
  struct set {                                                                                                   \
    template <class T, class... A> static auto sum(const T* x, A... a) { return ns::sum(x, a...); }             \
    template <class T, class... A> static auto dot(const T* x, A... a) { return ns::dot(x, a...); }             \
    template <class T, class... A> static auto sum_of_squares(const T* x, A... a) { return ns::sum_of_squares(x, a...); } \
    template <class T, class... A> static auto sum_of_squares_wide(const T* x, A... a) {                         \
      return ns::sum_of_squares_wide(x, a...);                                                                   \
    }                                                                                                            \
    template <class T, class... A> static auto argmin(const T* x, A... a) { return ns::argmin(x, a...); }       \
    template <class T, class... A> static auto argmax(const T* x, A... a) { return ns::argmax(x, a...); }       \
    template <class T, class... A> static auto minmax(const T* x, A... a) { return ns::minmax(x, a...); }       \
    template <class T, class... A> static auto count(const T* x, A... a) { return ns::count(x, a...); }         \
  }

namespace switchyard::kernels {

/// The partial of elements [begin, begin + len) of r, computed by KernelSet
/// over x and y, which point at element `begin` (indices in the partial count
/// from the start of the whole input). P is with_partial<T>(r.op)'s type.
/// The sums and count are told how much of the input runs on from the
/// chunk (`stream`): it decides how they read ahead.
template <class KernelSet, class T, class P>
P run_chunk(const reduction& r, const T* x, const T* y, std::size_t begin, std::size_t len) {
  const std::size_t stream = r.n - begin;
  tsan_reads(x, len * sizeof(T));
  if (y != nullptr) tsan_reads(y, len * sizeof(T));
  if constexpr (std::is_same_v<P, std::size_t>) {
    compare<T> pred{r.pred_op, {}};
    std::memcpy(&pred.value, &r.pred_bits, sizeof(T));
    return KernelSet::count(x, len, pred, stream);
  } else if constexpr (std::is_same_v<P, extremum<T>>) {
    P e = r.op == op_kind::argmax ? KernelSet::argmax(x, len) : KernelSet::argmin(x, len);
    e.index += begin;
    return e;
  } else if constexpr (std::is_same_v<P, bounds<T>>) {
    return KernelSet::minmax(x, len);
  } else if constexpr (std::is_same_v<P, sum_partial<double>> && !std::is_same_v<T, double>) {
    return KernelSet::sum_of_squares_wide(x, len, r.mode, stream);  // the only double partial of a non-double input
  } else {
    switch (r.op) {
      case op_kind::dot: return KernelSet::dot(x, y, len, r.mode, stream);
      case op_kind::sum_of_squares: return KernelSet::sum_of_squares(x, len, r.mode, stream);
      case op_kind::sum_of_squares_wide:
        if constexpr (std::is_same_v<T, double>) return KernelSet::sum_of_squares(x, len, r.mode, stream);
        [[fallthrough]];
      default: return KernelSet::sum(x, len, r.mode, stream);
    }
  }
}

/// Calls f.template operator()<T, P>() with r's element and partial types.
template <class F>
decltype(auto) with_types(const reduction& r, F&& f) {
  return with_element(r.type, [&](auto t) -> decltype(auto) {
    using T = decltype(t);
    return with_partial<T>(r.op, [&](auto p) -> decltype(auto) {
      return f.template operator()<T, decltype(p)>();
    });
  });
}

}  // namespace switchyard::kernels
