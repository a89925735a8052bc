// The processes backend: worker processes that compute the per-chunk partials
// of a built-in reduction. Input inside a shared_array is read in place;
// other input is copied through per-worker staging memory, overlapped with
// the work. A shard whose worker dies, or stalls for the engine's
// worker_stall_timeout, is re-run once in a fresh worker; a second death is
// errc::worker_failed.
#pragma once

#include <sys/types.h>

#include <vector>

#include <switchyard/engine.hpp>

namespace switchyard::backends::processes {

/// Hooks for the fault tests.
namespace testing {
/// The next `times` jobs that start at chunk 0 kill their worker before running.
void fail_first_shard(int times);
/// The next `times` jobs that start at chunk 0 stop their worker (SIGSTOP)
/// before running: a worker that is alive and does not answer.
void stop_first_shard(int times);
/// The pids of the live workers of an engine's pool.
std::vector<pid_t> worker_pids(const engine& e = default_engine());
}  // namespace testing

}  // namespace switchyard::backends::processes
