// A built-in reduction described as data: which op, over which element type,
// in which accuracy mode, over which inputs. A backend that cannot run a
// lambda of the caller (a worker process, a GPU) receives this instead.
#pragma once

#include <cstddef>
#include <cstdint>

#include <switchyard/detail/memory.hpp>
#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

#include "kernels/common/partials.hpp"

namespace switchyard::kernels {

enum class op_kind : std::uint8_t { sum, dot, sum_of_squares, sum_of_squares_wide, argmin, argmax, minmax, count };
enum class element_kind : std::uint8_t { f32, f64, i32, i64, u8 };

template <class T> constexpr element_kind kind_of();
template <> constexpr element_kind kind_of<float>() { return element_kind::f32; }
template <> constexpr element_kind kind_of<double>() { return element_kind::f64; }
template <> constexpr element_kind kind_of<std::int32_t>() { return element_kind::i32; }
template <> constexpr element_kind kind_of<std::int64_t>() { return element_kind::i64; }
template <> constexpr element_kind kind_of<std::uint8_t>() { return element_kind::u8; }

/// Calls f(T{}) with the element type `k` names.
template <class F>
decltype(auto) with_element(element_kind k, F&& f) {
  switch (k) {
    case element_kind::f32: return f(float{});
    case element_kind::f64: return f(double{});
    case element_kind::i32: return f(std::int32_t{});
    case element_kind::i64: return f(std::int64_t{});
    case element_kind::u8: break;
  }
  return f(std::uint8_t{});
}

/// The partial one chunk of `op` over T yields (the same types the other
/// CPU backends combine).
template <class T, class F>
decltype(auto) with_partial(op_kind op, F&& f) {
  switch (op) {
    case op_kind::sum:
    case op_kind::dot:
    case op_kind::sum_of_squares: return f(kernels::sum_partial_t<T>{});
    case op_kind::sum_of_squares_wide: return f(kernels::sum_partial<double>{});
    case op_kind::argmin:
    case op_kind::argmax: return f(kernels::extremum<T>{});
    case op_kind::minmax: return f(kernels::bounds<T>{});
    case op_kind::count: break;
  }
  return f(std::size_t{});
}

/// One built-in reduction, described so that another process or a GPU can run it.
struct reduction {
  op_kind op;
  element_kind type;
  accuracy mode;
  comparison pred_op = comparison::equal;
  std::uint64_t pred_bits = 0;
  const void* x;
  const void* y = nullptr;  ///< dot's second input
  std::size_t n;
  detail::memory where = detail::memory::host;  ///< where x and y are
  bool deterministic = false;                   ///< options::deterministic
};

}  // namespace switchyard::kernels
