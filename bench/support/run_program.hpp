// Running a peer program (fio, wrk, a Python script, a helper) and reading
// what it prints.
#pragma once

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace switchyard::bench {

/// Starts args (args[0] looked up in PATH) with its standard output on a
/// pipe: the pipe's reading end (the caller closes it) and the child's pid
/// in `pid`; -1 when it could not start.
inline int spawn_reading_output(std::vector<std::string> args, pid_t& pid) {
  int out[2];
  if (pipe(out) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    pid = -1;
    return -1;
  }
  return out[0];
}

/// Runs args (args[0] looked up in PATH) to completion; its standard output,
/// or "" when it could not start.
inline std::string output_of(std::vector<std::string> args) {
  pid_t pid = -1;
  const int out = spawn_reading_output(std::move(args), pid);
  if (out < 0) return {};
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(out, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  close(out);
  waitpid(pid, nullptr, 0);
  return text;
}

/// Runs args (args[0] looked up in PATH) to completion, its output where
/// ours goes; its exit status, or -1 when it could not start or a signal
/// ended it.
inline int run_program(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace switchyard::bench
