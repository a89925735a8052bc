// The processes backend: a pool of worker processes, started on first use and
// reused, that compute the per-chunk partials of a built-in reduction. The
// core combines the partials in the same fixed tree as every CPU backend, so
// the bits match serial, simd and threads.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

#include "backends/processes/protocol.hpp"

namespace switchyard::backends::processes {

using kernels::reduction;

/// Writes the partial of every chunk of `r` (chunk_elements each, the last
/// shorter) to `out`, partial_bytes apart, using at most max_workers workers
/// (0: one per core). Input inside a shared_array is read in place; other
/// input is copied through per-worker staging memory, overlapped with the work.
/// Throws switchyard::error: worker_failed when a shard's worker dies twice,
/// backend_unavailable or resource_exhausted when workers cannot start.
void chunk_partials(const reduction& r, std::size_t chunk_elements, void* out, std::size_t partial_bytes,
                    unsigned max_workers);

/// Empty when worker processes can run here, else why not.
std::string unavailable_reason();

/// Tells the workers that mapped region `id` to unmap it (shared_region's
/// destructor calls this, so the memory is freed when the array is).
void forget_region(std::uint64_t id) noexcept;

/// Hooks for the fault tests.
namespace testing {
/// The next `times` jobs that start at chunk 0 kill their worker before running.
void fail_first_shard(int times);
/// The pids of the live workers.
std::vector<pid_t> worker_pids();
}  // namespace testing

}  // namespace switchyard::backends::processes
