// The built-in reductions. Each takes any contiguous range of float, double,
// int32_t, int64_t or uint8_t (a std::vector, a std::array, a std::span) and
// optional switchyard::options, and runs on serial, simd or threads
// (automatic picks one). Edge semantics, the same on every backend:
// - empty input: sum, dot, sum_of_squares, norm2 and count_if give 0;
//   min, max, argmin, argmax and minmax give std::nullopt;
// - NaN propagates through min, max, argmin, argmax and minmax: the first NaN
//   in index order is the result (minmax gives it as both bounds);
// - ties give the lowest index; -0.0 and +0.0 tie, so the first one wins;
// - integer sums wrap modulo 2^64, identically on every backend.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include <switchyard/detail/memory.hpp>
#include <switchyard/detail/range.hpp>
#include <switchyard/element.hpp>
#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>
#include <switchyard/transform_reduce.hpp>

namespace switchyard {

namespace detail {
// Defined in the library for the five element types; `where` says whether
// the spans are host memory or a device_array's GPU memory.
template <element T> sum_t<T> sum(std::span<const T> v, const options& o, memory where = memory::host);
template <element T> sum_t<T> dot(std::span<const T> x, std::span<const T> y, const options& o, memory where = memory::host);
template <element T> sum_t<T> sum_of_squares(std::span<const T> v, const options& o, memory where = memory::host);
template <element T> norm_t<T> norm2(std::span<const T> v, const options& o, memory where = memory::host);
template <element T> std::optional<T> min(std::span<const T> v, const options& o, memory where = memory::host);
template <element T> std::optional<T> max(std::span<const T> v, const options& o, memory where = memory::host);
template <element T> std::optional<indexed<T>> argmin(std::span<const T> v, const options& o, memory where = memory::host);
template <element T> std::optional<indexed<T>> argmax(std::span<const T> v, const options& o, memory where = memory::host);
template <element T> std::optional<min_max<T>> minmax(std::span<const T> v, const options& o, memory where = memory::host);
template <element T> std::size_t count(std::span<const T> v, compare<T> pred, const options& o, memory where = memory::host);
}  // namespace detail

/// The sum of all elements (0 for an empty input).
template <detail::contiguous_elements R>
auto sum(const R& values, const options& o = {}) {
  return detail::sum(detail::as_span(values), o);
}

/// The inner product. Throws switchyard::error (length_mismatch), computing
/// nothing, when the lengths differ.
template <detail::contiguous_elements R1, detail::contiguous_elements R2>
  requires std::same_as<detail::element_of<R1>, detail::element_of<R2>>
auto dot(const R1& x, const R2& y, const options& o = {}) {
  return detail::dot(detail::as_span(x), detail::as_span(y), o);
}

/// The sum of the squares of the elements.
template <detail::contiguous_elements R>
auto sum_of_squares(const R& values, const options& o = {}) {
  return detail::sum_of_squares(detail::as_span(values), o);
}

/// The Euclidean norm. Floats accumulate their squares in double (exact
/// squares, no overflow or underflow for any float input); doubles and
/// integers rescale when the plain sum of squares would overflow or underflow.
template <detail::contiguous_elements R>
auto norm2(const R& values, const options& o = {}) {
  return detail::norm2(detail::as_span(values), o);
}

/// The least element, or std::nullopt for an empty input.
template <detail::contiguous_elements R>
auto min(const R& values, const options& o = {}) {
  return detail::min(detail::as_span(values), o);
}

/// The greatest element, or std::nullopt for an empty input.
template <detail::contiguous_elements R>
auto max(const R& values, const options& o = {}) {
  return detail::max(detail::as_span(values), o);
}

/// The least element and its index (the lowest index among ties).
template <detail::contiguous_elements R>
auto argmin(const R& values, const options& o = {}) {
  return detail::argmin(detail::as_span(values), o);
}

/// The greatest element and its index (the lowest index among ties).
template <detail::contiguous_elements R>
auto argmax(const R& values, const options& o = {}) {
  return detail::argmax(detail::as_span(values), o);
}

/// The least and the greatest element in one pass.
template <detail::contiguous_elements R>
auto minmax(const R& values, const options& o = {}) {
  return detail::minmax(detail::as_span(values), o);
}

/// The number of elements for which pred(x) is true. A switchyard::compare
/// (switchyard::gt(0.0f), ...) runs on every backend, simd included; any other
/// predicate runs on serial or threads.
template <detail::contiguous_input R, class Pred>
std::size_t count_if(const R& values, Pred pred, const options& o = {}) {
  using T = detail::element_of<R>;
  if constexpr (element<T> && std::same_as<Pred, compare<T>>) {
    return detail::count(detail::as_span(values), pred, o);
  } else {
    return transform_reduce(
        values, std::size_t{0}, std::plus<>{},
        [&pred](const T& x) -> std::size_t { return std::invoke(pred, x) ? 1 : 0; }, o);
  }
}

}  // namespace switchyard
