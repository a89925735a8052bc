// What /proc/PID/stat says of a process: its scheduler state, its parent
// and the CPU time it has used. Read with one read(2), no stream: the
// processes backend reads it while a worker starts.
#pragma once

#include <sys/types.h>

#include <optional>

namespace switchyard::detail {

struct process_stat {
  char state = 0;  ///< 'R' running, 'D' in the kernel, 'S' asleep, 'T' stopped, 'Z' a zombie
  pid_t parent = 0;
  unsigned long long cpu_ticks = 0;  ///< user and system time, in clock ticks (sysconf(_SC_CLK_TCK))
};

/// nullopt when there is no such process (or /proc cannot say).
std::optional<process_stat> read_process_stat(pid_t pid);

}  // namespace switchyard::detail
