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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

#include "kernels/common/partials.hpp"
#include "kernels/common/reduction.hpp"

namespace switchyard::backends::processes {

inline constexpr std::uint32_t protocol_version = 2;

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
};

/// job.flags, for tests only (the way to fail a given shard on purpose): the
/// worker kills itself before running the job, or stops itself (SIGSTOP: alive
/// and not answering).
inline constexpr std::uint32_t job_flag_die = 1;
inline constexpr std::uint32_t job_flag_stop = 2;

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
  /// Bumped by the worker as each chunk finishes: the parent's sign that a
  /// worker it waits for is still running (engine_config::worker_stall_timeout).
  alignas(64) std::atomic<std::uint32_t> heartbeat;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "the counters are shared between processes");

/// How long each side spins before it blocks: long enough to cover the
/// round trip of a small call, short enough not to steal a core for long.
inline constexpr std::uint64_t spin_ns = 50'000;

/// One step of a spin-wait: tells the core that this is a busy-wait.
inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

inline constexpr std::size_t control_bytes = std::size_t{1} << 20;
inline constexpr std::size_t results_offset = 4096;
static_assert(sizeof(control_header) <= results_offset);

/// How many partials of `bytes` each fit in one job's results.
constexpr std::size_t result_capacity(std::size_t bytes) { return (control_bytes - results_offset) / bytes; }

/// A message on a worker's socket. map carries the memory file as SCM_RIGHTS.
struct region_message {
  enum kind_t : std::uint32_t { map = 1, unmap = 2 } kind;
  std::uint64_t region;
  std::uint64_t bytes;
};

}  // namespace switchyard::backends::processes
