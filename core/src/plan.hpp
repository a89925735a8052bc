// Planning a call: checking the options and resolving backend::automatic.
// The dispatcher issue replaces the size threshold with a calibrated cost
// model behind this same function.
#pragma once

#include <cstddef>

#include <switchyard/options.hpp>

namespace switchyard::detail {

/// What a built-in reduction runs with, once the options are checked.
struct plan {
  backend where;
  accuracy mode;
  unsigned max_threads;
};

/// Below this many input bytes, automatic runs simd on the caller's thread;
/// from here on, threads. Measured on the 2-core AMD EPYC (Zen 4) build
/// machine with bench/reduce_bench (BM_Crossover): threads first beat simd
/// for a float sum between 256 KiB and 512 KiB (docs/PERF.md, "crossover").
inline constexpr std::size_t threads_threshold_bytes = std::size_t{384} << 10;

/// Checks `o` and resolves automatic for a built-in op over n elements of
/// element_size bytes. Throws switchyard::error for a bad enum value or a
/// forced backend that is not available.
plan plan_builtin(const options& o, std::size_t n, std::size_t element_size);

/// Throws switchyard::error (invalid_argument) for enum values outside their
/// enums, and (backend_unavailable) for a forced backend that is unavailable.
void check_options(const options& o);

}  // namespace switchyard::detail
