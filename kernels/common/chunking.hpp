// The fixed chunk every CPU backend splits a built-in reduction into. With the
// lane layout inside a chunk (sum_layout.hpp) and the fixed combine tree over
// chunks (tree_reduce.hpp) it is what makes serial, simd, threads and
// processes give the same bits for any thread or worker count.
#pragma once

#include <cstddef>

namespace switchyard::kernels {

/// Elements per chunk. 64 Ki elements (256 KiB of floats) keeps a chunk's lane
/// fold and scheduling under 2% of its kernel time even in L2, and still gives
/// 2 GiB of floats 8192 chunks to balance.
inline constexpr std::size_t chunk_elements = std::size_t{1} << 16;

/// How many chunks n elements make.
constexpr std::size_t chunk_count(std::size_t n) noexcept { return (n + chunk_elements - 1) / chunk_elements; }

}  // namespace switchyard::kernels
