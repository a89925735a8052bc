#include "backends/chunked/spread.hpp"

#include <algorithm>
#include <array>

namespace switchyard::backends {

std::atomic<int> spread_wakes{0};

namespace {

/// The workers a call holds to one CPU now, each in the slot its id hashes
/// to. Two calls on one arena can pick the same oneTBB worker: had the second
/// moved it too, it would have saved the first's one-CPU affinity and, ending
/// last, given that back, leaving the worker pinned for good. So a worker is
/// moved by one call at a time, and a claim is one compare-and-swap (no lock
/// that a fork could leave held); a worker whose slot another one holds is
/// left where it is, as if the move had failed.
constexpr std::size_t held_slots = 1024;
std::array<std::atomic<pid_t>, held_slots> held{};

std::atomic<pid_t>& held_slot(pid_t pid) noexcept { return held[static_cast<std::size_t>(pid) % held_slots]; }

}  // namespace

std::vector<int> spread_targets(std::span<const int> last_cpus, const cpu_set_t& allowed) {
  const auto known = [](int cpu) { return cpu >= 0 && cpu < CPU_SETSIZE; };
  cpu_set_t ran_on;  // every CPU a worker last ran on, and each one given
  CPU_ZERO(&ran_on);
  for (const int cpu : last_cpus) {
    if (known(cpu)) CPU_SET(cpu, &ran_on);
  }
  cpu_set_t kept;  // the CPUs whose first worker stays
  CPU_ZERO(&kept);
  std::vector<int> targets(last_cpus.size(), -1);
  int free_cpu = 0;
  for (std::size_t i = 0; i < last_cpus.size(); ++i) {
    const int cpu = last_cpus[i];
    if (!known(cpu)) continue;
    if (!CPU_ISSET(cpu, &kept)) {
      CPU_SET(cpu, &kept);
      continue;
    }
    while (free_cpu < CPU_SETSIZE && (CPU_ISSET(free_cpu, &ran_on) || !CPU_ISSET(free_cpu, &allowed))) ++free_cpu;
    if (free_cpu == CPU_SETSIZE) break;
    targets[i] = free_cpu;
    CPU_SET(free_cpu, &ran_on);
  }
  return targets;
}

std::vector<int> spread_targets(std::span<const int> last_cpus, pid_t worker) {
  bool shared = false;
  for (std::size_t i = 1; i < last_cpus.size() && !shared; ++i) {
    shared = last_cpus[i] >= 0 && std::find(last_cpus.begin(), last_cpus.begin() + i, last_cpus[i]) != last_cpus.begin() + i;
  }
  cpu_set_t allowed;
  if (!shared || sched_getaffinity(worker, sizeof allowed, &allowed) != 0) return {};
  return spread_targets(last_cpus, allowed);
}

wake_on_cpu::wake_on_cpu(pid_t pid, int cpu) noexcept : pid_(pid) {
  if (pid <= 0) return;
  pid_t free_slot = 0;
  if (!held_slot(pid).compare_exchange_strong(free_slot, pid, std::memory_order_acquire)) return;
  if (sched_getaffinity(pid, sizeof before_, &before_) == 0 && CPU_ISSET(cpu, &before_)) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    moved_ = sched_setaffinity(pid, sizeof one, &one) == 0;
  }
  if (moved_) {
    spread_wakes.fetch_add(1, std::memory_order_relaxed);
  } else {
    held_slot(pid).store(0, std::memory_order_release);
  }
}

wake_on_cpu::~wake_on_cpu() {
  if (!moved_) return;
  // A worker woken (or, when it was still awake, moved) on the one CPU stays
  // there: the affinity it gets back allows that CPU. Only then may another
  // call move it.
  sched_setaffinity(pid_, sizeof before_, &before_);
  held_slot(pid_).store(0, std::memory_order_release);
}

}  // namespace switchyard::backends
