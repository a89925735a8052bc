// The processes backend: worker processes that compute the per-chunk partials
// of a built-in reduction. Input inside a shared_array is read in place, the
// workers claiming runs of chunks as they go; other input is copied through
// per-worker staging memory, overlapped with the work, a shard per worker.
// Chunks whose worker dies, or stalls for the engine's worker_stall_timeout,
// are re-run once in a fresh worker; a second death is errc::worker_failed.
#pragma once

#include <sys/types.h>

#include <vector>

#include <switchyard/engine.hpp>

namespace switchyard::backends::processes {

/// Hooks for the fault tests.
namespace testing {
/// The next `times` jobs that hold chunk 0 kill their worker before running it
/// (in a claiming call, the worker that takes it).
void fail_first_shard(int times);
/// The same at chunk `chunk`.
void fail_chunk(std::size_t chunk, int times);
/// The next `times` jobs that hold chunk 0 stop their worker (SIGSTOP)
/// before running it: a worker that is alive and does not answer.
void stop_first_shard(int times);
/// The next `times` jobs that hold chunk 0 make their worker fail as on an
/// error of its own before running it: it exits, saying why.
void error_first_shard(int times);
/// Caps the chunks of one job at `chunks` (0: no cap beyond what a job's
/// results hold), so that a small input runs as a large one does: in several
/// jobs, or several claiming rounds.
void limit_job_chunks(std::size_t chunks);
/// How many chunks were run again in a fresh worker, in this process, because
/// the worker that had them died or stalled.
int rerun_chunks();
/// The pids of the live workers of an engine's pool.
std::vector<pid_t> worker_pids(const engine& e = default_engine());
}  // namespace testing

}  // namespace switchyard::backends::processes
