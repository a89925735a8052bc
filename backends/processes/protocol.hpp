// What the parent and a worker process agree on: the job a worker runs, the
// control block they share, and the messages on the worker's socket. Both
// sides are built from this one header in the same build, and the worker
// checks protocol_version at start-up.
//
// Hand-off: the parent writes a job into the worker's control block and
// signals it (control_header says how); the worker runs it, writes the
// per-chunk partials after the block's header and signals back. Data
// never travels through the socket: it carries only memory files (a
// shared_array's memfd, passed once per worker) and the order to unmap them.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

#include "kernels/common/partials.hpp"
#include "kernels/common/reduction.hpp"

namespace switchyard::backends::processes {

inline constexpr std::uint32_t protocol_version = 4;

/// The descriptors a worker starts with (posix_spawn dup2s them there).
inline constexpr int worker_socket_fd = 3;
inline constexpr int worker_control_fd = 4;
inline constexpr int worker_go_fd = 5;
inline constexpr int worker_done_fd = 6;
/// The program's own memory file, which the child execs through /proc/self/fd
/// and the worker closes at start-up.
inline constexpr int worker_image_fd = 7;

using kernels::element_kind;
using kernels::kind_of;
using kernels::op_kind;
using kernels::with_element;
using kernels::with_partial;

inline std::size_t element_bytes(element_kind k) {
  return with_element(k, [](auto t) { return sizeof(t); });
}

/// Where a worker finds one input: a memory file it has mapped, and the
/// byte offset of the job's first element in it.
struct input_ref {
  std::uint64_t region = 0;  ///< 0: no input (y of a one-input op)
  std::uint64_t offset = 0;
};

/// One job: the chunks [first_chunk, first_chunk + chunks) of a reduction over
/// n elements, with chunk c covering elements [c * chunk, min(n, (c+1) * chunk)).
/// A job with job_flag_claim shares those chunks with the other workers of
/// its call: each takes runs of them from the counter at `claims` (a
/// std::uint64_t, the next chunk to take, counted from first_chunk) until
/// none is left, and writes a record per chunk it finishes.
struct job {
  op_kind op;
  element_kind type;
  accuracy mode;
  comparison pred_op;
  std::uint32_t flags;
  std::uint64_t pred_bits;  ///< count's comparison value, its bytes
  input_ref x, y;
  std::uint64_t n;
  std::uint64_t chunk_elements;
  std::uint64_t first_chunk;
  std::uint64_t chunks;
  input_ref claims;          ///< job_flag_claim: the shared counter
  std::uint32_t claimants;   ///< job_flag_claim: how many workers share it
  std::uint64_t hook_chunk;  ///< job_flag_die, job_flag_stop: where they act
};

/// job.flags, for tests only (the way to fail a given shard on purpose): the
/// worker kills itself, or stops itself (SIGSTOP: alive and not answering),
/// before running chunk hook_chunk: the job that holds it, or the run of a
/// claiming job that does.
inline constexpr std::uint32_t job_flag_die = 1;
inline constexpr std::uint32_t job_flag_stop = 2;
/// job.flags, for tests only: the worker fails as on an error of its own
/// (it exits, leaving its last words in the control block).
inline constexpr std::uint32_t job_flag_fail = 8;
/// job.flags: the chunks are claimed (struct job).
inline constexpr std::uint32_t job_flag_claim = 4;

/// How many chunks a claiming worker takes at once when `left` are left
/// among `claimants` workers: large runs while much is left, so each worker
/// streams long stretches, and single chunks at the end, so a worker slowed
/// by another program, a slower core or the host finishes little after the
/// others (OpenMP's guided schedule).
constexpr std::uint64_t claim_run(std::uint64_t left, std::uint32_t claimants) {
  const std::uint64_t run = left / (2 * std::uint64_t{claimants == 0 ? 1 : claimants});
  return run == 0 ? 1 : run;
}

/// A claiming job's result for one chunk: the chunk's number (a
/// std::uint64_t, counted from the job's first_chunk) and its partial, at
/// results_offset + i * record_bytes(partial) for the i-th chunk the worker
/// finished.
constexpr std::size_t record_bytes(std::size_t partial_bytes) { return sizeof(std::uint64_t) + partial_bytes; }

/// How often a worker running a job checks that its parent is still there
/// (it also checks between jobs): a killed parent's workers are gone within
/// about this long even in the middle of a long shard.
inline constexpr std::uint64_t parent_check_ns = 100'000'000;

/// The shared page(s) at the start of a worker's control memory file; the
/// partials follow at results_offset.
///
/// Hand-off without a system call while both sides are awake: the parent
/// stores the job and bumps `posted`; the worker, which spins on `posted` for
/// a while after each job, runs it and stores `completed`. Before either side
/// blocks in poll it raises its `*_sleeping` flag and checks the counter
/// again; the other side writes the eventfd only when it sees the flag (all
/// seq_cst, so one of the two always sees the other's store).
struct control_header {
  std::uint32_t ready_version;  ///< written by the worker once it is running
  job work;
  alignas(64) std::atomic<std::uint32_t> posted;
  std::atomic<std::uint32_t> worker_sleeping;
  alignas(64) std::atomic<std::uint32_t> completed;
  std::atomic<std::uint32_t> parent_sleeping;
  /// Records a claiming job has written (struct job), stored after each: the
  /// parent reads them when the job completes, or when its worker died.
  std::atomic<std::uint32_t> records;
  /// The CPU the worker finished its last job on (-1 before its first),
  /// stored before `completed`: where the OS will wake it next (spread.hpp).
  std::atomic<std::int32_t> last_cpu;
  /// Bumped by the worker as each chunk finishes: the parent's sign that a
  /// worker it waits for is still running (engine_config::worker_stall_timeout).
  alignas(64) std::atomic<std::uint32_t> heartbeat;
  /// Why the worker exited on an error of its own (the step and the system's
  /// reason), written just before it exits; empty otherwise. The parent puts
  /// it in the error it reports: a worker writes nothing to the program's
  /// stderr.
  char last_words[192];
};

/// A worker's exit status when it fails before it has mapped its control
/// block (after that it exits with exit_said_why and its last words).
inline constexpr int exit_said_why = 2;
inline constexpr int exit_other_protocol = 3;
inline constexpr int exit_no_parent_pidfd = 4;
inline constexpr int exit_no_control_block = 5;
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "the counters are shared between processes");
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free, "the claim counter is shared between processes");

/// How long each side spins before it blocks: long enough to cover the
/// round trip of a small call, short enough not to steal a core for long.
inline constexpr std::uint64_t spin_ns = 50'000;

/// One step of a spin-wait: gives the CPU to whatever else is ready to run
/// on it, and comes straight back when nothing is. A call holds as many
/// workers as there are cores, so the parent, and a worker waiting for its
/// next job, share a core with a worker that has a chunk to run: busy-waiting
/// with `pause` held that core for the whole spin, and a 512 KiB call on two
/// cores took 80 us instead of 9 (docs/PERF.md, "Spinning that yields").
inline void spin_step() noexcept { sched_yield(); }

inline constexpr std::size_t control_bytes = std::size_t{1} << 20;
inline constexpr std::size_t results_offset = 4096;
static_assert(sizeof(control_header) <= results_offset);

/// How many partials of `bytes` each fit in one job's results (and so, how
/// many chunks a job may have; a claiming job's: record_bytes(bytes)).
constexpr std::size_t result_capacity(std::size_t bytes) { return (control_bytes - results_offset) / bytes; }

/// A message on a worker's socket. map carries the memory file as SCM_RIGHTS;
/// the worker maps it read-only, or (map_writable: the claim counters)
/// writable.
struct region_message {
  enum kind_t : std::uint32_t { map = 1, unmap = 2, map_writable = 3 } kind;
  std::uint64_t region;
  std::uint64_t bytes;
};

}  // namespace switchyard::backends::processes
