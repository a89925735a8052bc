// switchyard::engine owns what the backends run on: the thread arenas, the
// pool of worker processes, the GPU state, and which backend the environment
// forces. A default engine serves every call whose options name none; a
// program can make its own, for example limited to 4 threads:
//
//   switchyard::engine four({.max_threads = 4});
//   float s = switchyard::sum(v, {.engine = &four});
//
// Destroying an engine stops its worker threads and processes and frees their
// memory; it must outlive every call that names it.
#pragma once

#include <chrono>
#include <memory>

#include <switchyard/backends.hpp>
#include <switchyard/detail/export.hpp>
#include <switchyard/options.hpp>

namespace switchyard {

namespace detail {
class engine_state;
}

/// How an engine is set up.
struct engine_config {
  /// At most this many threads (threads) or worker processes (processes);
  /// 0: one per core the process may run on, and no more than its cgroup's
  /// CPU quota (a container's --cpus, a Kubernetes CPU limit) rounded up,
  /// since threads beyond the quota add no speed and make the kernel stop
  /// the whole process for the rest of each period. A bound set here may go
  /// above the quota, never above the cores. options.max_threads can only
  /// lower it.
  unsigned max_threads = 0;
  /// How long a worker process (backend::processes) may go without finishing
  /// a chunk, or without becoming ready once started, before it counts as
  /// dead: it is killed and its shard re-run once in a fresh worker, and a
  /// second stall fails the call with errc::worker_failed. A stopped (SIGSTOP)
  /// or hung worker therefore costs a call at most about twice this. A chunk
  /// takes microseconds, so only a worker that is not running trips it; a
  /// worker still starting (running, but slow on a loaded machine or under a
  /// sanitizer) gets up to ten times this to become ready. Must be positive.
  std::chrono::milliseconds worker_stall_timeout{2000};
};

class SWITCHYARD_API engine {
 public:
  engine();
  explicit engine(const engine_config& config);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Whether backend b can run in this engine, and if not, why.
  backend_status availability(backend b) const;
  /// The threads (or worker processes) a call may use at most: the config's
  /// bound, or the cores this process may run on within its CPU quota.
  unsigned max_threads() const noexcept;

  detail::engine_state& state() const noexcept { return *state_; }

 private:
  std::unique_ptr<detail::engine_state> state_;
};

/// The engine the free functions use when options.engine is null. Made on
/// first use and never destroyed (worker processes end with the program).
SWITCHYARD_API engine& default_engine();

}  // namespace switchyard
