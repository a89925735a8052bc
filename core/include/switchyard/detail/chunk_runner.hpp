// The library side of switchyard::transform_reduce: it resolves the backend
// for caller-supplied callables and runs one body per chunk on it. The
// templates in transform_reduce.hpp do the rest, so no oneTBB type leaks into
// a public header.
#pragma once

#include <cstddef>

#include <switchyard/detail/function_ref.hpp>
#include <switchyard/options.hpp>

namespace switchyard::detail {

/// Elements per chunk for caller-supplied callables. Fixed (not derived from
/// the thread count) so that the combine tree, and so the result, is the same
/// for any thread count.
inline constexpr std::size_t generic_chunk_elements = std::size_t{1} << 14;

/// The backend that runs caller callables over n elements: serial or threads.
/// Throws switchyard::error when the options force a backend that cannot run
/// caller code (simd, processes, cuda) or is unavailable.
backend resolve_for_callables(const options& o, std::size_t n);

/// Runs body(i) for every i in [0, count) on `b` (serial or threads).
/// Exceptions thrown by body propagate to the caller.
void run_chunks(backend b, std::size_t count, unsigned max_threads,
                function_ref<void(std::size_t)> body);

}  // namespace switchyard::detail
