// Where a call wakes its workers. A call that copies its input keeps the
// parent busy, and the OS then puts the workers on the cores the copy leaves
// (on two cores, both on one); a later call that wakes them there runs them
// on one core until the scheduler moves one, which on a two-core machine
// took milliseconds (up to twice the call's time). So a call that reads its
// input in place wakes each worker that last ran on a CPU another of its
// workers also ran on, on a CPU none of them ran on: its affinity is that one
// CPU while the call wakes it, then what it was. Nothing stays pinned.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <atomic>
#include <span>
#include <vector>

namespace switchyard::backends::processes {

/// For workers that last ran on `last_cpus` (-1: not yet known), in the order
/// the call holds them, the CPU of `allowed` to wake each on, or -1 to leave
/// it where the OS puts it: the second and later of workers that shared a
/// CPU each get the lowest allowed CPU none of them ran on, while one is
/// left.
std::vector<int> spread_targets(std::span<const int> last_cpus, const cpu_set_t& allowed);

/// Restricts process `pid` to `cpu` for this object's life, then gives it back
/// the affinity it had. Best effort: when `cpu` is outside that affinity or a
/// step fails (the CPU is not in the process's cpuset, the process is gone)
/// the worker is left as the OS places it.
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

/// Workers woken on a CPU of spread_targets' choice, for the tests.
extern std::atomic<int> spread_wakes;

}  // namespace switchyard::backends::processes
