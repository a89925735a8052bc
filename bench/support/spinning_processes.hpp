// Other programs' work, made on purpose: child processes that each keep a CPU
// busy while this lives. The benchmarks' "beside a busy core" case and the
// dispatcher's tests of a calibration beside other work use it.
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/src/process_stat.hpp"

namespace switchyard::bench {

class spinning_processes {
 public:
  /// `n` spinning children, left where the OS puts them or, with
  /// `on_last_cpus`, each pinned to one of the last `n` CPUs this process
  /// may run on (fewer where it may run on fewer). Returns once all run.
  explicit spinning_processes(unsigned n, bool on_last_cpus = false) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (on_last_cpus && sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    int cpu = CPU_SETSIZE;
    for (unsigned i = 0; i < n; ++i) {
      cpu_set_t one;
      CPU_ZERO(&one);
      if (on_last_cpus) {
        do --cpu;
        while (cpu >= 0 && !CPU_ISSET(cpu, &allowed));
        if (cpu < 0) break;
        CPU_SET(cpu, &one);
      }
      const pid_t pid = fork();
      if (pid == 0) {
        if (on_last_cpus) sched_setaffinity(0, sizeof one, &one);
        std::atomic<unsigned> spins{0};  // an atomic, so the loop is not one the compiler may remove
        for (;;) spins.fetch_add(1, std::memory_order_relaxed);
      }
      if (pid > 0) pids_.push_back(pid);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // all running
  }
  ~spinning_processes() {
    for (const pid_t pid : pids_) kill(pid, SIGKILL);
    for (const pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }
  spinning_processes(const spinning_processes&) = delete;
  spinning_processes& operator=(const spinning_processes&) = delete;

  /// How many are spinning (fork can fail).
  std::size_t size() const { return pids_.size(); }
  /// The CPU time they have had so far, in seconds (utime and stime of
  /// /proc/PID/stat): what they took, where a cgroup's CPU quota or a
  /// busier machine gave them less than a CPU each.
  double cpu_seconds() const {
    const long ticks = sysconf(_SC_CLK_TCK);
    unsigned long long total = 0;
    for (const pid_t pid : pids_) {
      if (const auto stat = detail::read_process_stat(pid)) total += stat->cpu_ticks;
    }
    return ticks > 0 ? static_cast<double>(total) / static_cast<double>(ticks) : 0.0;
  }
  /// Lets them run (SIGCONT) or stops them (SIGSTOP).
  void run(bool busy) const {
    for (const pid_t pid : pids_) kill(pid, busy ? SIGCONT : SIGSTOP);
  }

 private:
  std::vector<pid_t> pids_;
};

}  // namespace switchyard::bench
