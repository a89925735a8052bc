// The one-process combine tree over an input's chunks, seen as subtrees that
// ranks can build apart. The tree (detail/tree_reduce.hpp) combines chunk
// partials at stride 1, 2, 4, ...: its node (level k, index j) covers chunks
// [j * 2^k, min((j + 1) * 2^k, chunks)), and a backend's reduction of exactly
// those chunks yields that node. A rank that holds a run of chunks covers it
// with such nodes; any rank rebuilds the root from every rank's nodes.
#pragma once

#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <stdexcept>
#include <utility>
#include <vector>

namespace switchyard::mpi::detail {

struct tree_node {
  std::uint32_t level = 0;
  std::uint64_t index = 0;

  std::uint64_t first_chunk() const noexcept { return index << level; }
  std::uint64_t chunk_span() const noexcept { return std::uint64_t{1} << level; }
  friend auto operator<=>(const tree_node&, const tree_node&) = default;
};

/// The fewest whole nodes (2^k chunks starting at a multiple of 2^k) that
/// cover chunks [first, end), in chunk order: at most two per level.
inline std::vector<tree_node> cover(std::uint64_t first, std::uint64_t end) {
  std::vector<tree_node> nodes;
  while (first < end) {
    // The largest power of two that `first` is a multiple of (any, for 0)
    // and that fits in what is left.
    std::uint32_t level = first == 0 ? 63 : static_cast<std::uint32_t>(std::countr_zero(first));
    while (level > 0 && (std::uint64_t{1} << level) > end - first) --level;
    nodes.push_back({level, first >> level});
    first += std::uint64_t{1} << level;
  }
  return nodes;
}

/// The tree's root over `chunks` chunks from a set of disjoint nodes that
/// covers them all. Throws std::logic_error when they do not.
template <class P, class Combine>
P rebuild(const std::map<tree_node, P>& nodes, std::uint64_t chunks, Combine&& combine) {
  std::uint32_t top = 0;
  while ((std::uint64_t{1} << top) < chunks) ++top;
  auto build = [&](auto&& self, tree_node at) -> P {
    if (auto it = nodes.find(at); it != nodes.end()) return it->second;
    if (at.level == 0) throw std::logic_error("chunk " + std::to_string(at.index) + " has no partial");
    const tree_node left{at.level - 1, at.index * 2};
    const tree_node right{at.level - 1, at.index * 2 + 1};
    if (right.first_chunk() >= chunks) return self(self, left);
    return combine(self(self, left), self(self, right));
  };
  return build(build, tree_node{top, 0});
}

}  // namespace switchyard::mpi::detail
