// The op's result from the whole input's main-pass partial, written once for
// both ways a call ends: finish() after the backend's reduce, and a one-chunk
// call run whole (one_chunk.hpp), whose op and types are known at compile time.
#pragma once

#include <cmath>
#include <optional>
#include <type_traits>
#include <utility>

#include <switchyard/element.hpp>
#include <switchyard/op.hpp>

#include "dispatch/kernel_key.hpp"
#include "kernels/common/reduction.hpp"

namespace switchyard::detail {

/// The kernel op the main pass of public op O over T runs, and its partial.
template <op O, class T>
inline constexpr kernels::op_kind main_kernel = dispatch::kernel_of(O, element_type_of<T>());
template <op O, class T>
using main_partial_t = kernels::partial_t<main_kernel<O, T>, T>;

template <class R, class V>
void put(void* out, V&& v) {
  if (out != nullptr) *static_cast<R*>(out) = std::forward<V>(v);
}

/// Writes O's result over T from the main pass's partial p to out (which is
/// null when the caller keeps no result). False, writing nothing, where
/// norm2 of doubles must rescale: the squares overflowed to infinity or may
/// have lost bits below 2^-960, and the bounds pass comes next.
template <op O, class T>
bool finish_result(const main_partial_t<O, T>& p, void* out) {
  if constexpr (O == op::sum || O == op::dot || O == op::sum_of_squares) {
    if constexpr (std::is_floating_point_v<T>) {
      put<sum_t<T>>(out, kernels::finish(p));
    } else {
      put<sum_t<T>>(out, p);
    }
  } else if constexpr (O == op::norm2) {
    const double ss = kernels::finish(p);
    if (std::is_same_v<T, double> && (std::isinf(ss) || ss < 0x1p-960)) return false;
    put<norm_t<T>>(out, static_cast<norm_t<T>>(std::sqrt(ss)));
  } else if constexpr (O == op::min || O == op::max) {
    put<std::optional<T>>(out, p.value);
  } else if constexpr (O == op::argmin || O == op::argmax) {
    put<std::optional<indexed<T>>>(out, indexed<T>{p.value, p.index});
  } else if constexpr (O == op::minmax) {
    put<std::optional<min_max<T>>>(out, min_max<T>{p.min, p.max});
  } else {
    static_assert(O == op::count_if);
    put<std::size_t>(out, p);
  }
  return true;
}

/// Calls f.template operator()<O>() with the built-in op o (not transform_reduce).
template <class F>
decltype(auto) with_builtin_op(op o, F&& f) {
  switch (o) {
    case op::sum: return f.template operator()<op::sum>();
    case op::dot: return f.template operator()<op::dot>();
    case op::sum_of_squares: return f.template operator()<op::sum_of_squares>();
    case op::norm2: return f.template operator()<op::norm2>();
    case op::min: return f.template operator()<op::min>();
    case op::max: return f.template operator()<op::max>();
    case op::argmin: return f.template operator()<op::argmin>();
    case op::argmax: return f.template operator()<op::argmax>();
    case op::minmax: return f.template operator()<op::minmax>();
    case op::count_if:
    case op::transform_reduce: break;
  }
  return f.template operator()<op::count_if>();
}

}  // namespace switchyard::detail
