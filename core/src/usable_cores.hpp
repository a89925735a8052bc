// How many cores this process can keep busy at once. Its CPU affinity says
// where it may run; a CPU quota of its cgroup (a container's --cpus, a
// Kubernetes CPU limit) says how much: the kernel lets the whole group run
// for quota microseconds of each period and then stops every thread of it
// until the next period. More threads than the quota add no throughput, and a
// call that meets the stop waits out the rest of the period (tens of
// milliseconds), so the defaults count the quota too.
#pragma once

#include <filesystem>
#include <optional>

namespace switchyard::detail {

/// Where the cgroup facts are read; a test points these at files it wrote.
struct cgroup_files {
  std::filesystem::path self_cgroup = "/proc/self/cgroup";
  std::filesystem::path mountinfo = "/proc/self/mountinfo";
  /// Prefixed to the mount points that mountinfo names.
  std::filesystem::path root = "/";
};

/// The tightest CPU bandwidth limit on this process, in CPUs (quota over
/// period: 1.5 for a quota of 150 ms each 100 ms), over its cgroup and each
/// ancestor visible in the cgroup mount, from cgroup v2's cpu.max and v1's
/// cpu.cfs_quota_us and cpu.cfs_period_us. nullopt where no limit is set or
/// the files cannot be read.
std::optional<double> cgroup_cpu_limit(const cgroup_files& files = {}) noexcept;

/// The CPUs in this process's affinity mask (at least 1).
unsigned affinity_cores() noexcept;

/// affinity_cores(), lowered to the cgroup CPU limit rounded up (at least 1):
/// the threads a parallel call can keep running.
unsigned usable_cores() noexcept;

}  // namespace switchyard::detail
