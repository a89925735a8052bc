// The arithmetic deterministic mode stands on, without MPI: covering a run of
// chunks with whole subtrees and rebuilding the root from them gives the
// one-process tree's result; ownership sends every element to one place.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <switchyard/detail/tree_reduce.hpp>

#include "mpi/src/chunk_tree.hpp"
#include "mpi/src/layout.hpp"

namespace {

using switchyard::mpi::detail::cover;
using switchyard::mpi::detail::layout;
using switchyard::mpi::detail::owned_by;
using switchyard::mpi::detail::rebuild;
using switchyard::mpi::detail::tree_node;

// A combine that is not associative and records its shape, so any other
// order gives another string.
std::string join(const std::string& l, const std::string& r) { return "(" + l + " " + r + ")"; }

std::string one_process(std::uint64_t chunks) {
  std::vector<std::string> parts;
  for (std::uint64_t i = 0; i < chunks; ++i) parts.push_back(std::to_string(i));
  return switchyard::detail::tree_reduce(std::span(parts), join);
}

/// The node's string as the one-process tree builds it over its chunks.
std::string subtree(tree_node n, std::uint64_t chunks) {
  std::vector<std::string> parts;
  for (std::uint64_t i = n.first_chunk(); i < std::min(n.first_chunk() + n.chunk_span(), chunks); ++i) {
    parts.push_back(std::to_string(i));
  }
  return switchyard::detail::tree_reduce(std::span(parts), join);
}

TEST(ChunkTree, CoverIsWholeAlignedNodesInOrder) {
  for (std::uint64_t first = 0; first < 70; ++first) {
    for (std::uint64_t end = first; end < 140; ++end) {
      std::uint64_t at = first;
      const auto nodes = cover(first, end);
      EXPECT_LE(nodes.size(), 2 * 8u);
      for (const tree_node& n : nodes) {
        EXPECT_EQ(n.first_chunk(), at);
        EXPECT_EQ(n.first_chunk() % n.chunk_span(), 0u);
        at += n.chunk_span();
      }
      EXPECT_EQ(at, end);
    }
  }
}

TEST(ChunkTree, RebuildFromAnySplitIsTheOneProcessTree) {
  std::mt19937_64 rng(7);
  for (std::uint64_t chunks = 1; chunks < 90; ++chunks) {
    for (int trial = 0; trial < 20; ++trial) {
      // Random cut points: each piece is covered apart, as one rank would.
      std::vector<std::uint64_t> cuts{0, chunks};
      for (int i = 0; i < 3; ++i) cuts.push_back(rng() % (chunks + 1));
      std::sort(cuts.begin(), cuts.end());
      std::map<tree_node, std::string> nodes;
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        for (const tree_node& n : cover(cuts[i], cuts[i + 1])) nodes.emplace(n, subtree(n, chunks));
      }
      ASSERT_EQ(rebuild(nodes, chunks, join), one_process(chunks)) << chunks << " chunks";
    }
  }
}

TEST(ChunkTree, RebuildRefusesAGap) {
  std::map<tree_node, std::string> nodes{{tree_node{1, 0}, "(0 1)"}};
  EXPECT_THROW(rebuild(nodes, 3, join), std::logic_error);
}

TEST(Layout, EveryChunkHasOneOwnerAndEveryElementOnePlace) {
  constexpr std::uint64_t chunk = 8;
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    const int ranks = 1 + static_cast<int>(rng() % 5);
    std::vector<std::uint64_t> counts;
    for (int r = 0; r < ranks; ++r) counts.push_back(rng() % 4 == 0 ? 0 : rng() % 30);
    const layout l(counts);
    std::vector<int> owner(static_cast<std::size_t>((l.total + chunk - 1) / chunk), -1);
    std::vector<std::uint64_t> received(static_cast<std::size_t>(ranks), 0);
    for (int r = 0; r < ranks; ++r) {
      const auto o = owned_by(l, r, chunk);
      for (std::uint64_t c = o.first_chunk; c < o.end_chunk; ++c) {
        ASSERT_EQ(owner[c], -1) << "chunk " << c << " owned twice";
        owner[c] = r;
      }
      if (o.lead > 0) {
        ASSERT_LT(o.lead_to, r);
        received[static_cast<std::size_t>(o.lead_to)] += o.lead;
      }
    }
    for (const int o : owner) ASSERT_NE(o, -1);
    for (int r = 0; r < ranks; ++r) EXPECT_EQ(received[static_cast<std::size_t>(r)], owned_by(l, r, chunk).tail);
  }
}

}  // namespace
