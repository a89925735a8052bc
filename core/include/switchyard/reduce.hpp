// The built-in reductions. Each takes any contiguous range of float, double,
// int32_t, int64_t or uint8_t (a std::vector, a std::array, a std::span, a
// shared_array) and optional switchyard::options. Edge semantics, the same on
// every backend:
// - empty input: sum, dot, sum_of_squares, norm2 and count_if give 0;
//   min, max, argmin, argmax and minmax give std::nullopt;
// - NaN propagates through min, max, argmin, argmax and minmax: the first NaN
//   in index order is the result (minmax gives it as both bounds);
// - ties give the lowest index; -0.0 and +0.0 tie, so the first one wins;
// - integer sums wrap modulo 2^64, identically on every backend.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/range.hpp>
#include <switchyard/element.hpp>
#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>
#include <switchyard/transform_reduce.hpp>

namespace switchyard {

namespace detail {
/// Describes and runs one built-in reduction; Result is what the op returns.
template <class Result, element T>
Result run_op(switchyard::op o, std::span<const T> x, const options& opts, memory where = memory::host,
              std::span<const T> y = {}) {
  Result result{};
  run(describe(o, x, opts, where, y), &result);
  return result;
}
}  // namespace detail

/// The sum of all elements (0 for an empty input).
template <detail::contiguous_elements R>
auto sum(const R& values, const options& o = {}) {
  using T = detail::element_of<R>;
  return detail::run_op<sum_t<T>>(op::sum, detail::as_span(values), o, detail::location_of<R>);
}

/// The inner product. Throws switchyard::error (length_mismatch), computing
/// nothing, when the lengths differ.
template <detail::contiguous_elements R1, detail::contiguous_elements R2>
  requires std::same_as<detail::element_of<R1>, detail::element_of<R2>>
auto dot(const R1& x, const R2& y, const options& o = {}) {
  using T = detail::element_of<R1>;
  return detail::run_op<sum_t<T>>(op::dot, detail::as_span(x), o,
                                  detail::location_of<R1> == detail::location_of<R2> ? detail::location_of<R1>
                                                                                     : detail::memory::host,
                                  detail::as_span(y));
}

/// The sum of the squares of the elements.
template <detail::contiguous_elements R>
auto sum_of_squares(const R& values, const options& o = {}) {
  using T = detail::element_of<R>;
  return detail::run_op<sum_t<T>>(op::sum_of_squares, detail::as_span(values), o, detail::location_of<R>);
}

/// The Euclidean norm. Floats accumulate their squares in double (exact
/// squares, no overflow or underflow for any float input); doubles and
/// integers rescale when the plain sum of squares would overflow or underflow.
template <detail::contiguous_elements R>
auto norm2(const R& values, const options& o = {}) {
  using T = detail::element_of<R>;
  return detail::run_op<norm_t<T>>(op::norm2, detail::as_span(values), o, detail::location_of<R>);
}

/// The least element, or std::nullopt for an empty input.
template <detail::contiguous_elements R>
auto min(const R& values, const options& o = {}) {
  using T = detail::element_of<R>;
  return detail::run_op<std::optional<T>>(op::min, detail::as_span(values), o, detail::location_of<R>);
}

/// The greatest element, or std::nullopt for an empty input.
template <detail::contiguous_elements R>
auto max(const R& values, const options& o = {}) {
  using T = detail::element_of<R>;
  return detail::run_op<std::optional<T>>(op::max, detail::as_span(values), o, detail::location_of<R>);
}

/// The least element and its index (the lowest index among ties):
/// `if (auto m = argmin(v)) use(m->value, m->index);`
template <detail::contiguous_elements R>
auto argmin(const R& values, const options& o = {}) {
  using T = detail::element_of<R>;
  return detail::run_op<std::optional<indexed<T>>>(op::argmin, detail::as_span(values), o, detail::location_of<R>);
}

/// The greatest element and its index (the lowest index among ties).
template <detail::contiguous_elements R>
auto argmax(const R& values, const options& o = {}) {
  using T = detail::element_of<R>;
  return detail::run_op<std::optional<indexed<T>>>(op::argmax, detail::as_span(values), o, detail::location_of<R>);
}

/// The least and the greatest element in one pass: `m->min`, `m->max`.
template <detail::contiguous_elements R>
auto minmax(const R& values, const options& o = {}) {
  using T = detail::element_of<R>;
  return detail::run_op<std::optional<min_max<T>>>(op::minmax, detail::as_span(values), o, detail::location_of<R>);
}

namespace detail {
template <class P>
struct compare_value {};
template <class U>
struct compare_value<compare<U>> {
  using type = U;
};
template <class P>
concept builtin_compare = requires { typename compare_value<P>::type; };
}  // namespace detail

/// The number of elements for which pred(x) is true. A switchyard::compare
/// (switchyard::gt(0.0f), ...) runs on every backend, simd included; any other
/// predicate runs on serial or threads. A compare whose value has another type
/// than the elements (gt(0) over floats) compares as numpy does: in the
/// element type when the value converts exactly (then on every backend), else
/// in a type that holds both (double, or the wider integer), on serial or
/// threads.
template <detail::contiguous_input R, class Pred>
std::size_t count_if(const R& values, Pred pred, const options& o = {}) {
  using T = detail::element_of<R>;
  if constexpr (element<T> && detail::builtin_compare<Pred>) {
    using U = typename detail::compare_value<Pred>::type;
    if constexpr (!std::is_same_v<U, T>) {
      if (const std::optional<T> exact = detail::exactly_as<T>(pred.value)) {
        return count_if(values, compare<T>{pred.op, *exact}, o);
      }
      using C = detail::comparison_type<T, U>;
      const compare<C> wide{pred.op, static_cast<C>(pred.value)};
      return detail::transform_reduce_as(
          op::count_if, values, std::size_t{0}, std::plus<>{},
          [wide](T x) -> std::size_t { return wide(static_cast<C>(x)) ? 1 : 0; }, o);
    } else {
      std::size_t count = 0;
      detail::run(detail::describe_count(detail::as_span(values), pred, o, detail::location_of<R>), &count);
      return count;
    }
  } else {
    static_assert(std::is_invocable_r_v<bool, const Pred&, const T&>,
                  "switchyard::count_if: the predicate must take the range's element and return bool: "
                  "a switchyard::compare such as switchyard::gt(0.0f), or a lambda such as "
                  "[](float x) { return x > 0; }");
    return detail::transform_reduce_as(
        op::count_if, values, std::size_t{0}, std::plus<>{},
        [&pred](const T& x) -> std::size_t { return std::invoke(pred, x) ? 1 : 0; }, o);
  }
}

}  // namespace switchyard
