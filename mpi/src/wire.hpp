// What ranks exchange, as fixed-size records of trivially copyable bytes (all
// ranks run the same build, so layouts agree): first a header that says which
// reduction each rank called and over how many elements, then per pass the
// partials of the tree nodes each rank reduced. Each carries a verdict, so a
// rank's failure reaches every rank in the next exchange instead of leaving
// them waiting.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/partial.hpp>

namespace switchyard::mpi::detail {

/// A rank's failure: an errc value (0 for none) and its message.
struct verdict {
  std::int32_t code = 0;
  char message[252]{};

  /// The exception in flight (inside a catch block).
  static verdict of_current_exception() noexcept;
  /// Throws the first failed verdict of `count` records `stride` bytes apart
  /// (each starting with its verdict), naming its rank.
  static void throw_first_failure(const std::byte* records, std::size_t stride, int count);
};

struct header {
  verdict failure;
  std::uint8_t op = 0, type = 0, accuracy = 0, deterministic = 0, pred_op = 0;
  std::int32_t root = 0;
  std::uint64_t pred_bits = 0;
  std::uint64_t n = 0;
};

/// At most two nodes per level of a 2^64-chunk tree, and the chunk that
/// straddles the next rank.
inline constexpr std::size_t max_nodes = 2 * 64 + 1;

struct wire_node {
  std::uint32_t level = 0;
  std::uint32_t unused = 0;
  std::uint64_t index = 0;
  switchyard::detail::partial value;
};

struct record {
  verdict failure;
  std::uint32_t count = 0;
  std::uint32_t unused = 0;
  wire_node nodes[max_nodes];
};

}  // namespace switchyard::mpi::detail
