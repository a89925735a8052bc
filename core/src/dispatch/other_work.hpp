// How much of the CPUs this process may run on other programs used over a
// window (in a virtual machine, with the time other guests took from them). A calibration made while they were busy measures threads and
// processes short of cores (on the 2-core build machine a profile taken
// beside `ctest` predicted threads at one core's bandwidth and routed every
// DRAM sum to one thread), so the profile records it, and the dispatcher
// measures again when the machine it loads the profile on is quieter.
#pragma once

#include <sched.h>

#include <chrono>
#include <istream>
#include <optional>

namespace switchyard::detail::dispatch {

/// A profile measured while other programs left its workers short of at
/// least this share of their cores is measured again where they leave that
/// much more.
inline constexpr double skewing_share = 0.25;

struct other_work {
  double busy_cores = 0;  ///< other programs' CPU time (and stolen time) over the window, per second
  unsigned cpus = 0;      ///< the CPUs this process may run on
  /// How many of `workers` cores the other programs left short: their work
  /// beyond what the CPUs the workers did not need could hold.
  double cores_taken(unsigned workers) const;
  /// Whether they took a quarter of the workers' cores or more (skewing_share):
  /// figures measured so are low for the backends that spread work.
  bool short_of_cores(unsigned workers) const;
};

/// Opens a window at construction; `close()` reads what other programs ran on
/// this process's CPUs since (from /proc/stat, less the CPU time of this
/// process and of the children it has waited for within the window). A
/// child still running is another program to it: close the window before
/// the processes backend's workers run, or after the children are waited for.
class other_work_meter {
 public:
  other_work_meter();
  /// nullopt where /proc/stat cannot be read (not Linux, a restricted /proc).
  std::optional<other_work> close() const;

 private:
  unsigned cpus_ = 0;  // before busy_: its reading sets it
  std::optional<double> busy_;
  double self_ = 0;
  std::chrono::steady_clock::time_point start_;
};

/// Seconds of the `allowed` CPUs' time that was not this program's to have,
/// from a reading of /proc/stat: busy (user, nice, system, irq, softirq)
/// and stolen (steal: the hypervisor ran another guest while this vCPU
/// wanted to run, which on a shared host takes a calibration's cores as
/// surely as a program beside it); not idle or iowait. `cpus`: how many of
/// the allowed CPUs the reading has. nullopt for a reading it cannot parse.
std::optional<double> busy_seconds_in(std::istream& proc_stat, const cpu_set_t& allowed, long ticks_per_second,
                                      unsigned& cpus);

/// The same over a window of `window` from now (the caller sleeps through it).
std::optional<other_work> other_work_now(std::chrono::milliseconds window);

}  // namespace switchyard::detail::dispatch
