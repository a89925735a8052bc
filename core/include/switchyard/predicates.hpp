// Built-in comparison predicates for count_if. Unlike a lambda, a
// switchyard::compare is something the SIMD kernels understand, so
// `count_if(v, switchyard::gt(0.0f))` runs vectorized. The value's type must
// be the element type: over uint8_t write `gt(std::uint8_t{5})`; `gt(5)` is a
// compare<int>, which count_if treats as any other callable (serial or
// threads), since converting 300 to uint8_t would change the answer.
#pragma once

#include <cstdint>

#include <switchyard/element.hpp>

namespace switchyard {

enum class comparison : std::uint8_t { less, less_equal, equal, not_equal, greater_equal, greater };

/// `x <op> value`, with IEEE semantics: every comparison with NaN is false
/// except not_equal, which is true.
template <element T>
struct compare {
  comparison op;
  T value;

  constexpr bool operator()(T x) const noexcept {
    switch (op) {
      case comparison::less: return x < value;
      case comparison::less_equal: return x <= value;
      case comparison::equal: return x == value;
      case comparison::not_equal: return x != value;
      case comparison::greater_equal: return x >= value;
      case comparison::greater: return x > value;
    }
    return false;
  }
};

template <element T> constexpr compare<T> lt(T v) noexcept { return {comparison::less, v}; }
template <element T> constexpr compare<T> le(T v) noexcept { return {comparison::less_equal, v}; }
template <element T> constexpr compare<T> eq(T v) noexcept { return {comparison::equal, v}; }
template <element T> constexpr compare<T> ne(T v) noexcept { return {comparison::not_equal, v}; }
template <element T> constexpr compare<T> ge(T v) noexcept { return {comparison::greater_equal, v}; }
template <element T> constexpr compare<T> gt(T v) noexcept { return {comparison::greater, v}; }

}  // namespace switchyard
