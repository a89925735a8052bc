// The processes backend and its parent: a parent that dies (between jobs and
// in the middle of a shard) takes its workers with it; a forked child gets a
// pool of its own; a tight descriptor limit and a worker program that cannot
// start are clear errors. Each runs the probe program (parent_probe.cpp) as
// the parent.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "processes_fixture.hpp"

extern char** environ;

namespace {

using namespace processes_test;

/// Starts the probe program with `mode` (and its arguments, after spaces),
/// extra environment `env` (NAME=value or empty); returns its pid and a pipe
/// from its stdout. With `err`, its stderr goes to a pipe too, whose end
/// `*err` gets.
std::pair<pid_t, int> start_probe(const char* mode, const std::string& env = {}, int* err = nullptr) {
  int out[2];
  if (pipe(out) != 0) return {-1, -1};
  int errs[2] = {-1, -1};
  if (err != nullptr && pipe(errs) != 0) return {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  if (err != nullptr) {
    posix_spawn_file_actions_adddup2(&actions, errs[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, errs[0]);
  }
  std::vector<std::string> vars;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "SWITCHYARD_WORKER=", 18) != 0) vars.emplace_back(*e);
  }
  if (!env.empty()) vars.push_back(env);
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  // The mode and its arguments, split at spaces.
  std::vector<std::string> args{"processes_parent_probe"};
  std::istringstream words(mode);
  for (std::string w; words >> w;) args.push_back(w);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, PARENT_PROBE, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (err != nullptr) {
    close(errs[1]);
    *err = errs[0];
  }
  if (rc != 0) {
    close(out[0]);
    if (err != nullptr) close(errs[0]);
    return {-1, -1};
  }
  return {pid, out[0]};
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  close(fd);
  return line;
}

/// A probe run to its end: the line it printed, its wait status, and what
/// it (and its workers) wrote to stderr.
struct probe_run {
  std::string line;
  int status = -1;
  std::string err;
};

probe_run run_probe(const char* mode, const std::string& env = {}) {
  int err = -1;
  const auto [pid, out] = start_probe(mode, env, &err);
  if (pid <= 0) {
    ADD_FAILURE() << "the probe did not start";
    return {};
  }
  probe_run r{read_line(out), -1, {}};
  char buffer[4096];
  for (ssize_t got; (got = read(err, buffer, sizeof buffer)) > 0;) r.err.append(buffer, static_cast<std::size_t>(got));
  close(err);
  if (waitpid(pid, &r.status, 0) != pid) ADD_FAILURE() << "the probe could not be waited for";
  std::fputs(r.err.c_str(), stderr);  // a sanitizer's report, say: as if it had not been read
  return r;
}

/// Starts the probe in `mode`, reads the worker pids it prints, lets it run
/// for `running`, SIGKILLs it and checks that every worker is gone (or a
/// zombie of whichever process adopted it) within `limit`.
void kill_parent_and_expect_workers_gone(const char* mode, std::chrono::milliseconds running,
                                         std::chrono::milliseconds limit) {
  const auto [parent, out] = start_probe(mode);
  ASSERT_GT(parent, 0);
  const std::string line = read_line(out);
  std::istringstream in(line);
  std::vector<pid_t> workers;
  for (pid_t p; in >> p;) workers.push_back(p);
  ASSERT_FALSE(workers.empty()) << "the probe printed no worker pids: '" << line << "'";
  for (pid_t w : workers) EXPECT_NE(state_of(w), 0) << "worker " << w << " is not running";
  std::this_thread::sleep_for(running);
  kill(parent, SIGKILL);
  int status;
  ASSERT_EQ(waitpid(parent, &status, 0), parent);
  for (pid_t w : workers) {
    EXPECT_TRUE(eventually([&] { const char s = state_of(w); return s == 0 || s == 'Z'; }, limit))
        << "worker " << w << " outlived its parent by more than " << limit.count() << " ms";
  }
}

TEST_F(Processes, ADeadParentTakesItsWorkersWithIt) {
  kill_parent_and_expect_workers_gone("wait", std::chrono::milliseconds(0), std::chrono::seconds(5));
}

// A parent killed in the middle of a long shard (one worker reducing 1 GiB
// over and over) takes its workers with it within a second: they look for its
// death between chunks, not only between jobs.
TEST_F(Processes, AParentKilledMidShardTakesItsWorkersWithinASecond) {
#ifdef __SANITIZE_THREAD__
  // ThreadSanitizer records every read in its shadow memory (4 bytes of it a
  // byte): the first sum of 1 GiB took about 30 s. A 64 MiB shard takes it
  // seconds, still far past the 300 ms.
  const char* busy = "busy 64";
#else
  const char* busy = "busy";
#endif
  // 300 ms: well into a shard.
  kill_parent_and_expect_workers_gone(busy, std::chrono::milliseconds(300), std::chrono::seconds(1));
}

// Under a descriptor limit too tight for the workers' channels, the error
// names the limit (it said "fcntl: Invalid argument").
TEST_F(Processes, ATightDescriptorLimitIsNamed) {
  const auto [line, status, err] = run_probe("nofile");
  EXPECT_NE(line.find("error"), std::string::npos) << line;
  EXPECT_NE(line.find("RLIMIT_NOFILE 8"), std::string::npos) << line;
  EXPECT_EQ(line.find("Invalid argument"), std::string::npos) << line;
}

TEST_F(Processes, AForkedChildGetsAPoolOfItsOwn) {
  const auto [line, status, err] = run_probe("fork");
  EXPECT_EQ(line, "child ok");
}

TEST_F(Processes, AWorkerProgramThatCannotStartIsABackendUnavailableError) {
  const auto [line, status, err] = run_probe("once", "SWITCHYARD_WORKER=/nonexistent/switchyard-worker");
  EXPECT_EQ(WEXITSTATUS(status), 3) << line;
  EXPECT_NE(line.find("error " + std::to_string(static_cast<int>(sy::errc::backend_unavailable))), std::string::npos)
      << line;
  EXPECT_NE(line.find("/nonexistent/switchyard-worker"), std::string::npos) << line;
}

/// A worker program written as a script for one test; removed with it.
class worker_script {
 public:
  explicit worker_script(const std::string& text) {
    if (!mkdtemp(dir_)) return;
    path_ = std::string(dir_) + "/worker";
    std::ofstream(path_) << text;
    chmod(path_.c_str(), 0755);
  }
  worker_script(const worker_script&) = delete;
  worker_script& operator=(const worker_script&) = delete;
  ~worker_script() {
    std::remove(path_.c_str());
    for (const std::string& f : files_) std::remove(f.c_str());
    rmdir(dir_);
  }
  std::string env() const { return "SWITCHYARD_WORKER=" + path_; }
  /// The path of `name` beside the script (which finds it as
  /// "${0%/*}/name"), removed with it.
  std::string file(const std::string& name) { return files_.emplace_back(std::string(dir_) + "/" + name); }

 private:
  char dir_[40] = "/tmp/switchyard-worker-script-XXXXXX";
  std::string path_;
  std::vector<std::string> files_;
};

std::string error_line(sy::errc code) { return "error " + std::to_string(static_cast<int>(code)) + ":"; }

// A worker killed before it was ready died, as one killed mid-shard does:
// worker_failed (it was backend_unavailable, as for a program that cannot
// run, about 1 call in 20 under a kill storm).
TEST_F(Processes, AWorkerKilledBeforeItWasReadyIsAWorkerFailure) {
  const worker_script killed("#!/bin/sh\nkill -KILL $$\n");
  const auto [line, status, err] = run_probe("once", killed.env());
  EXPECT_EQ(WEXITSTATUS(status), 3) << line;
  EXPECT_NE(line.find(error_line(sy::errc::worker_failed)), std::string::npos) << line;
  EXPECT_NE(line.find("killed by SIGKILL before it was ready"), std::string::npos) << line;
}

// A child forked while another thread starts the workers: that thread held
// the pool's lock, which the child copied held, and the child's first call
// (which starts a pool of its own) waited for it for good. Here the workers
// make a file, then take 300 ms to start; the probe forks once it exists.
TEST_F(Processes, AChildForkedWhileWorkersStartGetsAPoolOfItsOwn) {
  worker_script slow("#!/bin/bash\n"
                     ": > \"${0%/*}/started\"\n"
                     "end=$(( ${EPOCHREALTIME/./} + 300000 ))\n"
                     "while (( ${EPOCHREALTIME/./} < end )); do :; done\n"
                     "exec " WORKER_PROGRAM " \"$@\"\n");
  const std::string mode = "fork-starting " + slow.file("started");
  const auto [line, status, err] = run_probe(mode.c_str(), slow.env());
  EXPECT_EQ(line, "child ok");
  EXPECT_EQ(WEXITSTATUS(status), 0) << line;
}

// Starting is not a stall: a worker that takes three times the stall limit to
// start, running all along (here a shell spinning before it runs the worker
// program; on CI, ThreadSanitizer's workers on a loaded machine), is waited
// for. Under a kill storm with a 100 ms limit, TSan's workers (about 100 ms to
// start on a Zen 5 guest) were killed as stalled in 20 calls in a row.
TEST_F(Processes, AWorkerSlowToStartButRunningIsWaitedFor) {
  const worker_script slow("#!/bin/bash\n"
                           "end=$(( ${EPOCHREALTIME/./} + 300000 ))\n"
                           "while (( ${EPOCHREALTIME/./} < end )); do :; done\n"
                           "exec " WORKER_PROGRAM " \"$@\"\n");
  const auto [line, status, err] = run_probe("once 100", slow.env());
  EXPECT_EQ(WEXITSTATUS(status), 0) << line;
  EXPECT_EQ(line, "ok");
}

// A starting worker that is not running (stopped, or asleep) is killed at the
// first limit it spends so (the shell's own start may use the first); one
// that runs and never becomes ready, at ten times the limit.
TEST_F(Processes, AWorkerThatDoesNotStartIsKilled) {
  const struct {
    const char* script;
    const char* said;
  } cases[] = {
      {"#!/bin/sh\nkill -STOP $$\n", "and was not running (stopped)"},
      {"#!/bin/sh\nexec sleep 60\n", "and was not running (asleep or hung)"},
      {"#!/bin/sh\nwhile :; do :; done\n", "ran for 1000 ms without becoming ready"},
  };
  for (const auto& c : cases) {
    const worker_script w(c.script);
    const auto [line, status, err] = run_probe("once 100", w.env());
    EXPECT_EQ(WEXITSTATUS(status), 3) << c.script << ": " << line;
    EXPECT_NE(line.find(error_line(sy::errc::worker_failed)), std::string::npos) << c.script << ": " << line;
    EXPECT_NE(line.find(c.said), std::string::npos) << c.script << ": " << line;
  }
}

// The library writes nothing to stderr, nor do its workers: a worker that
// cannot serve this library says why in the error.
TEST_F(Processes, AWorkerOfAnotherVersionIsABackendUnavailableErrorThatSaysSo) {
  const worker_script other("#!/bin/sh\nexec " WORKER_PROGRAM " \"$1\" 999\n");
  const auto [line, status, err] = run_probe("once", other.env());
  EXPECT_EQ(WEXITSTATUS(status), 3) << line;
  EXPECT_NE(line.find(error_line(sy::errc::backend_unavailable)), std::string::npos) << line;
  EXPECT_NE(line.find("another protocol than this library's"), std::string::npos) << line;
  EXPECT_EQ(err, "");
}

TEST_F(Processes, SwitchyardWorkerPointsAtAnInstalledWorkerProgram) {
  const auto [line, status, err] = run_probe("once", "SWITCHYARD_WORKER=" WORKER_PROGRAM);
  EXPECT_EQ(WEXITSTATUS(status), 0) << line;
  EXPECT_EQ(line, "ok");
}

}  // namespace
