// Built-in comparison predicates for count_if. Unlike a lambda, a
// switchyard::compare is something the SIMD kernels understand, so
// `count_if(v, switchyard::gt(0.0f))` runs vectorized. A value of another
// type than the elements is compared as numpy compares: `gt(0)` over floats
// is `gt(0.0f)` (0 converts exactly), `gt(0.5)` over uint8_t compares in
// double, `gt(300)` over uint8_t in int (never true), so the answer is the
// mathematical one; only exactly-converting values run on every backend.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

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

namespace detail {

/// v as a T when T holds exactly the same value (NaN counts: it compares the
/// same in every type), else nullopt. No conversion here is undefined.
template <element T, element U>
constexpr std::optional<T> exactly_as(U v) noexcept {
  if constexpr (std::is_integral_v<T> && std::is_integral_v<U>) {
    if (!std::in_range<T>(v)) return std::nullopt;
    return static_cast<T>(v);
  } else if constexpr (std::is_integral_v<T>) {  // a floating value as an integer
    if (!(v >= static_cast<long double>(std::numeric_limits<T>::min()) &&
          v <= static_cast<long double>(std::numeric_limits<T>::max())) ||
        std::trunc(v) != v) {
      return std::nullopt;
    }
    return static_cast<T>(v);
  } else if constexpr (std::is_integral_v<U>) {  // an integer as a floating value
    const T t = static_cast<T>(v);
    if (static_cast<long double>(t) != static_cast<long double>(v)) return std::nullopt;
    return t;
  } else {
    if (v != v) return static_cast<T>(v);
    if (std::abs(v) > static_cast<U>(std::numeric_limits<T>::max()) && !std::isinf(v)) return std::nullopt;
    const T t = static_cast<T>(v);
    if (static_cast<U>(t) != v) return std::nullopt;
    return t;
  }
}

/// Where an element and a comparison value of another type meet: double when
/// either is floating, else the wider integer.
template <element T, element U>
using comparison_type =
    std::conditional_t<std::is_floating_point_v<T> || std::is_floating_point_v<U>, double, std::common_type_t<T, U>>;

}  // namespace detail

}  // namespace switchyard
