// The element types switchyard reduces and the result types each op returns.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace switchyard {

/// The element types every built-in reduction supports.
template <class T>
concept element = std::same_as<T, float> || std::same_as<T, double> ||
                  std::same_as<T, std::int32_t> || std::same_as<T, std::int64_t> ||
                  std::same_as<T, std::uint8_t>;

/// What sum, dot and sum_of_squares return: floats keep their type, integers
/// accumulate and return 64 bits (wrapping modulo 2^64 like unsigned
/// arithmetic, the same on every backend).
template <element T>
using sum_t = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;

/// What norm2 returns: floats keep their type, integers give double.
template <element T>
using norm_t = std::conditional_t<std::is_floating_point_v<T>, T, double>;

/// An element and its position, as argmin and argmax return them.
template <class T>
struct indexed {
  T value;
  std::size_t index;
  friend bool operator==(const indexed&, const indexed&) = default;
};

namespace detail {

/// The element types, as data (`other`: a caller's type, for transform_reduce).
enum class element_type : std::uint8_t { f32, f64, i32, i64, u8, other };

template <class T>
constexpr element_type element_type_of() noexcept {
  if constexpr (std::is_same_v<T, float>) return element_type::f32;
  else if constexpr (std::is_same_v<T, double>) return element_type::f64;
  else if constexpr (std::is_same_v<T, std::int32_t>) return element_type::i32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return element_type::i64;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return element_type::u8;
  else return element_type::other;
}

}  // namespace detail

/// The least and the greatest element, as minmax returns them.
template <class T>
struct min_max {
  T min;
  T max;
  friend bool operator==(const min_max&, const min_max&) = default;
};

}  // namespace switchyard
