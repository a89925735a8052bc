// The one combine order switchyard uses for partial results: a fixed binary
// tree over the partials in index order (stride 1, then 2, 4, ...). It depends
// only on the number of partials, never on which thread produced them, which
// is what makes results independent of the thread count.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

namespace switchyard::detail {

template <class P, class Combine>
P tree_reduce(std::span<P> parts, Combine&& combine) {
  const std::size_t n = parts.size();
  for (std::size_t stride = 1; stride < n; stride *= 2) {
    for (std::size_t i = 0; i + stride < n; i += 2 * stride) {
      parts[i] = combine(std::move(parts[i]), std::move(parts[i + stride]));
    }
  }
  return std::move(parts[0]);
}

}  // namespace switchyard::detail
