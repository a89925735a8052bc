// Planning a call: checking the options and resolving backend::automatic.
// The dispatcher issue replaces the size threshold with a calibrated cost
// model behind this same function.
#pragma once

#include <cstddef>

#include <switchyard/detail/memory.hpp>
#include <switchyard/options.hpp>

namespace switchyard::detail {

/// What a built-in reduction runs with, once the options are checked.
struct plan {
  backend where;
  accuracy mode;
  unsigned max_threads;
  bool deterministic = false;
  memory input = memory::host;  ///< where the call's data lives
};

/// Elements per chunk: the unit of work of every CPU backend, fixed so that
/// results do not depend on the thread count. 64 Ki elements (256 KiB of
/// floats) keeps a chunk's lane fold and scheduling under 2% of its kernel
/// time even in L2, and still gives 2 GiB of floats 8192 chunks to balance.
inline constexpr std::size_t chunk_elements = std::size_t{1} << 16;

/// From this many elements on, automatic runs threads; below, simd. Threads
/// can only help from a second chunk on, and only once that chunk is big
/// enough to pay for waking a worker. Measured on the 2-core AMD EPYC (Zen 4)
/// build machine with bench/reduce_bench (crossover_*, medians of 3, float
/// sum): threads 1.03x simd at 272 KiB (1.06 chunks), 1.07x at 288 KiB
/// (1.125 chunks), 1.42x at 384 KiB (docs/PERF.md, "crossover").
inline constexpr std::size_t threads_threshold_elements = chunk_elements + chunk_elements / 8;

/// Checks `o` and resolves automatic for a built-in op over n elements.
/// Data in device memory runs on cuda, the one backend that reads it.
/// Throws switchyard::error for a bad enum value, a forced backend that is
/// not available, or one that cannot read device memory.
plan plan_builtin(const options& o, std::size_t n, memory input = memory::host);

/// Throws switchyard::error (invalid_argument) for enum values outside their
/// enums, and (backend_unavailable) for a forced backend that is unavailable.
void check_options(const options& o);

}  // namespace switchyard::detail
