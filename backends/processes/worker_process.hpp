// One worker process and the descriptors that reach it: spawned with
// posix_spawn (safe from a multithreaded parent, unlike fork), watched
// through a pidfd, reaped when it dies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <span>
#include <string>

#include "backends/processes/protocol.hpp"

namespace switchyard::backends::processes {

struct worker_process {
  pid_t pid = -1;
  int pidfd = -1;    ///< readable once the worker has exited
  int socket = -1;   ///< region messages (SOCK_SEQPACKET)
  int go = -1;       ///< eventfd: a job is posted
  int done = -1;     ///< eventfd: the job is finished (or the worker is ready)
  control_header* control = nullptr;
  std::uint32_t posted = 0;  ///< jobs posted to this worker (control->posted)
  std::set<std::uint64_t> mapped;  ///< regions sent to this worker

  bool alive() const noexcept { return pid > 0; }
};

/// Moves fd above the numbers the worker's descriptors get (closing fd), so
/// that posix_spawn's dup2 never meets an fd already in place (which would
/// keep its close-on-exec flag). Throws switchyard::error (resource_exhausted),
/// naming the descriptor limit when that is what stops it.
int above_worker_fds(int fd);

/// Starts a worker running `program` without waiting for it; `image_fd`, when
/// not -1, is the memory file holding the program, which the child sees as
/// worker_image_fd (program is then /proc/self/fd/7). Throws switchyard::error.
worker_process spawn_worker(const std::string& program, int image_fd);

/// Waits until a spawned worker is ready; if it exits instead, reaps it and
/// throws switchyard::error saying how it ended (worker_failed when it was
/// killed, backend_unavailable when the program cannot run here); if it is
/// not ready within `limit` and not running (stopped, asleep), or not within
/// ten times `limit` while running, kills and reaps it and throws worker_failed.
void await_ready(worker_process& w, std::chrono::milliseconds limit);

/// True when the worker has exited (its pidfd is readable).
bool has_exited(const worker_process& w);

/// Reaps those of `workers` (each alive) that have exited: one poll of all
/// their pidfds, where has_exited on each would take a system call per
/// worker, about 1 us each on some virtual machines (docs/PERF.md, "One poll
/// a call").
void reap_exited(std::span<worker_process* const> workers);

/// Reaps an exited worker (or kills and reaps a live one), closes its
/// descriptors and unmaps its control block. Returns how it ended, in words
/// (one word where there is no memory for more).
std::string reap(worker_process& w) noexcept;

/// Sends region `id` (memory file `fd`, `bytes` long) over the worker's socket,
/// for the worker to map read-only or writable. False when the worker is gone.
bool send_map(worker_process& w, std::uint64_t id, int fd, std::size_t bytes, bool writable = false);
void send_unmap(worker_process& w, std::uint64_t id);

}  // namespace switchyard::backends::processes
