// How the public functions accept "anything contiguous": a constraint and the
// conversion to the std::span the library works on.
#pragma once

#include <ranges>
#include <span>
#include <type_traits>

#include <switchyard/detail/call.hpp>
#include <switchyard/element.hpp>

namespace switchyard {

template <element T>
class shared_array;

namespace detail {

template <class R>
using element_of = std::remove_cv_t<std::ranges::range_value_t<R>>;

template <class R>
concept contiguous_input = std::ranges::contiguous_range<R> && std::ranges::sized_range<R>;

template <class R>
concept contiguous_elements = contiguous_input<R> && element<element_of<R>>;

template <contiguous_input R>
std::span<const element_of<R>> as_span(const R& r) noexcept {
  return {std::ranges::data(r), std::ranges::size(r)};
}

/// Where a range's elements live, as the dispatcher prices them: a
/// shared_array's in memory the worker processes map; any other range's in
/// ordinary host memory.
template <class R>
inline constexpr memory location_of = memory::host;
template <class T>
inline constexpr memory location_of<shared_array<T>> = memory::shared;

}  // namespace detail
}  // namespace switchyard
