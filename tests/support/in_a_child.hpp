// Test support: a check run in a child process that fork() makes, for what
// only a process of its own can show (a fork's effects, a signal to the whole
// process). The child reports what went wrong through a pipe; GoogleTest's
// assertions stay in the parent.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <functional>
#include <string>

namespace switchyard::test {

/// Forks; the child runs `check` (what went wrong, or empty; an exception
/// it throws is what went wrong) and exits. What went wrong, or empty: a
/// child that had not ended within `limit` is killed and said to be, one
/// killed by a signal or exiting non-zero with nothing said is said so.
inline std::string in_a_child(const std::function<std::string()>& check, std::chrono::seconds limit) {
  int report[2];
  if (pipe(report) != 0) return "pipe failed";
  const pid_t child = fork();
  if (child < 0) return "fork failed";
  if (child == 0) {
    close(report[0]);
    std::string wrong;
    try {
      wrong = check();
    } catch (const std::exception& e) {
      wrong = std::string("threw: ") + e.what();
    }
    (void)!write(report[1], wrong.data(), wrong.size());
    _exit(wrong.empty() ? 0 : 1);
  }
  close(report[1]);
  std::string wrong;
  pollfd p{report[0], POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[512];
  bool killed = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int ready = left.count() > 0 ? poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      kill(child, SIGKILL);
      killed = true;
      wrong += "the child had not ended after " + std::to_string(limit.count()) + " s";
      break;
    }
    const ssize_t n = read(report[0], buffer, sizeof buffer);
    if (n <= 0) break;
    wrong.append(buffer, static_cast<std::size_t>(n));
  }
  close(report[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status) && !killed) {
    wrong += std::string(wrong.empty() ? "" : "; ") + "the child was killed by SIG" + sigabbrev_np(WTERMSIG(status));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && wrong.empty()) {
    wrong = "the child exited with " + std::to_string(WEXITSTATUS(status)) + ", saying nothing";
  }
  return wrong;
}

}  // namespace switchyard::test
