// Where a call wakes its workers. When two of the threads or processes a
// call splits its chunks over last ran on one CPU, a call that wakes them
// there runs them on one core until the scheduler moves one, which on a
// two-core machine took milliseconds (up to twice the call's time; more
// where another program keeps the other core busy, since then the
// scheduler sees nothing to balance). So a call wakes each worker that last
// ran on a CPU another of its workers (or its caller) also ran on, on a CPU
// none of them ran on: its affinity is that one CPU while the call wakes it,
// then what it was. Nothing stays pinned. The processes backend does it for
// calls that read in place (a copying call keeps the parent busy beside its
// workers) while it posts each job; the threads backend, whose workers
// oneTBB wakes, for the whole of a call of many chunks.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <atomic>
#include <span>
#include <vector>

namespace switchyard::backends {

/// For workers that last ran on `last_cpus` (-1: not yet known), in the order
/// the call holds them, the CPU of `allowed` to wake each on, or -1 to leave
/// it where the OS puts it: the second and later of workers that shared a
/// CPU each get the lowest allowed CPU none of them ran on, while one is
/// left.
std::vector<int> spread_targets(std::span<const int> last_cpus, const cpu_set_t& allowed);

/// The same with `allowed` read from the affinity of `worker` (one of them),
/// and empty, without a system call, when no two of `last_cpus` are one
/// known CPU (nearly every call) or the affinity cannot be read: every
/// worker is left where the OS puts it.
std::vector<int> spread_targets(std::span<const int> last_cpus, pid_t worker);

/// Restricts process or thread `pid` to `cpu` for this object's life, then
/// gives it back the affinity it had. Best effort: when `cpu` is outside that
/// affinity, a step fails (the CPU is not in the process's cpuset, the worker
/// is gone) or another call holds the worker on a CPU already, the worker is
/// left as it is.
class wake_on_cpu {
 public:
  wake_on_cpu(pid_t pid, int cpu) noexcept;
  wake_on_cpu(const wake_on_cpu&) = delete;
  wake_on_cpu& operator=(const wake_on_cpu&) = delete;
  ~wake_on_cpu();

 private:
  pid_t pid_;
  cpu_set_t before_;
  bool moved_ = false;
};

/// Workers woken on a CPU of spread_targets' choice (both backends), for the
/// tests.
extern std::atomic<int> spread_wakes;

}  // namespace switchyard::backends
