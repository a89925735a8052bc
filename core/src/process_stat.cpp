#include "core/src/process_stat.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace switchyard::detail {

std::optional<process_stat> read_process_stat(pid_t pid) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[512];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // The name in parentheses may hold spaces: the fields begin after the last ')'.
  const char* p = std::strrchr(buf, ')');
  process_stat out;
  int parent = 0;
  unsigned long long utime = 0, stime = 0;
  // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  if (!p || std::sscanf(p + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &out.state, &parent, &utime,
                        &stime) != 4) {
    return std::nullopt;
  }
  out.parent = static_cast<pid_t>(parent);
  out.cpu_ticks = utime + stime;
  return out;
}

}  // namespace switchyard::detail
