// A built-in reduction as the kernels see it: which kernel op, over which
// element type, in which accuracy mode, over which inputs. Nothing here knows
// where the data lives or which backend runs it; a worker process or a GPU
// receives this and nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <switchyard/element.hpp>
#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

#include "kernels/common/partials.hpp"

namespace switchyard::kernels {

/// The loops a chunk can run. The public ops map onto these (min and max are
/// argmin and argmax without the index; norm2 is the wide sum of squares).
enum class op_kind : std::uint8_t { sum, dot, sum_of_squares, sum_of_squares_wide, argmin, argmax, minmax, count };

using element_kind = detail::element_type;

template <class T>
constexpr element_kind kind_of() { return detail::element_type_of<T>(); }

/// Calls f(T{}) with the element type `k` names.
template <class F>
decltype(auto) with_element(element_kind k, F&& f) {
  switch (k) {
    case element_kind::f32: return f(float{});
    case element_kind::f64: return f(double{});
    case element_kind::i32: return f(std::int32_t{});
    case element_kind::i64: return f(std::int64_t{});
    case element_kind::u8:
    case element_kind::other: break;
  }
  return f(std::uint8_t{});
}

/// The partial one chunk of kernel op K over T yields (the same types every
/// backend combines).
template <op_kind K, class T>
using partial_t = std::conditional_t<
    K == op_kind::sum_of_squares_wide, sum_partial<double>,
    std::conditional_t<K == op_kind::argmin || K == op_kind::argmax, extremum<T>,
                       std::conditional_t<K == op_kind::minmax, bounds<T>,
                                          std::conditional_t<K == op_kind::count, std::size_t, sum_partial_t<T>>>>>;

/// Calls f(P{}) with partial_t<op, T> for an op known only at run time.
template <class T, class F>
decltype(auto) with_partial(op_kind op, F&& f) {
  switch (op) {
    case op_kind::sum: return f(partial_t<op_kind::sum, T>{});
    case op_kind::dot: return f(partial_t<op_kind::dot, T>{});
    case op_kind::sum_of_squares: return f(partial_t<op_kind::sum_of_squares, T>{});
    case op_kind::sum_of_squares_wide: return f(partial_t<op_kind::sum_of_squares_wide, T>{});
    case op_kind::argmin: return f(partial_t<op_kind::argmin, T>{});
    case op_kind::argmax: return f(partial_t<op_kind::argmax, T>{});
    case op_kind::minmax: return f(partial_t<op_kind::minmax, T>{});
    case op_kind::count: break;
  }
  return f(partial_t<op_kind::count, T>{});
}

/// One built-in reduction, described so that any backend can run it.
struct reduction {
  op_kind op;
  element_kind type;
  accuracy mode;
  comparison pred_op = comparison::equal;
  std::uint64_t pred_bits = 0;
  const void* x;
  const void* y = nullptr;  ///< dot's second input
  std::size_t n;
};

/// Two adjacent partials of `op` combined (l holds the lower indices).
template <class P>
SWITCHYARD_HOST_DEVICE P combine_partials(op_kind op, const P& l, const P& r) noexcept {
  if constexpr (std::is_same_v<P, std::size_t>) {
    return l + r;
  } else if constexpr (std::is_same_v<P, std::int64_t>) {  // integer sums wrap modulo 2^64
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(l) + static_cast<std::uint64_t>(r));
  } else if constexpr (requires { l.hi; }) {
    return combine(l, r);
  } else if constexpr (requires { l.index; }) {
    return op == op_kind::argmax ? combine_extremum<true>(l, r) : combine_extremum<false>(l, r);
  } else {
    return combine_bounds(l, r);
  }
}

}  // namespace switchyard::kernels
