// transform_reduce and count_if with caller-supplied callables: the transform
// and combine run on the serial or the threads backend in fixed chunks, and
// partial results combine in a fixed tree, so the result does not depend on
// the thread count. combine must be associative; it need not be commutative
// (the order of elements is kept).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/range.hpp>
#include <switchyard/detail/tree_reduce.hpp>
#include <switchyard/op.hpp>
#include <switchyard/options.hpp>

namespace switchyard {

namespace detail {
/// transform_reduce, described as `o` (transform_reduce, or count_if with a
/// caller's predicate).
template <contiguous_input R, class T, class Combine, class Transform>
T transform_reduce_as(switchyard::op o, const R& values, T init, Combine combine, Transform transform,
                      const options& opts) {
  const auto v = as_span(values);
  constexpr std::size_t chunk = generic_chunk_elements;
  const std::size_t count = (v.size() + chunk - 1) / chunk;
  std::vector<std::optional<T>> parts(count);
  auto body = [&](std::size_t c) {
    const std::size_t begin = c * chunk;
    const std::size_t end = std::min(v.size(), begin + chunk);
    T acc = static_cast<T>(std::invoke(transform, v[begin]));
    for (std::size_t i = begin + 1; i < end; ++i) {
      acc = static_cast<T>(std::invoke(combine, std::move(acc), std::invoke(transform, v[i])));
    }
    parts[c].emplace(std::move(acc));
  };
  run_callable(describe(o, v, opts), count, body);
  if (v.empty()) return init;
  auto total = tree_reduce(std::span(parts), [&](std::optional<T> l, std::optional<T> r) {
    return std::optional<T>(std::invoke(combine, std::move(*l), std::move(*r)));
  });
  return static_cast<T>(std::invoke(combine, std::move(init), std::move(*total)));
}
}  // namespace detail

/// combine(init, combine(transform(x0), combine(transform(x1), ...))) with a
/// fixed bracketing; `init` is used exactly once, and an empty input gives it.
template <detail::contiguous_input R, class T, class Combine, class Transform>
T transform_reduce(const R& values, T init, Combine combine, Transform transform, const options& o = {}) {
  return detail::transform_reduce_as(op::transform_reduce, values, std::move(init), std::move(combine),
                                     std::move(transform), o);
}

}  // namespace switchyard
