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

#include <switchyard/detail/chunk_runner.hpp>
#include <switchyard/detail/range.hpp>
#include <switchyard/detail/tree_reduce.hpp>
#include <switchyard/options.hpp>

namespace switchyard {

/// combine(init, combine(transform(x0), combine(transform(x1), ...))) with a
/// fixed bracketing; `init` is used exactly once, and an empty input gives it.
template <detail::contiguous_input R, class T, class Combine, class Transform>
T transform_reduce(const R& values, T init, Combine combine, Transform transform,
                   const options& o = {}) {
  const auto v = detail::as_span(values);
  const backend b = detail::resolve_for_callables(o, v.size());
  if (v.empty()) return init;
  constexpr std::size_t chunk = detail::generic_chunk_elements;
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
  detail::run_chunks(b, count, o.max_threads, body);
  auto total = detail::tree_reduce(std::span(parts), [&](std::optional<T> l, std::optional<T> r) {
    return std::optional<T>(std::invoke(combine, std::move(*l), std::move(*r)));
  });
  return static_cast<T>(std::invoke(combine, std::move(init), std::move(*total)));
}

}  // namespace switchyard
