// What the processes backend promises beyond the conformance suite: shared
// arrays, workers that die (killed from outside or failed on purpose), a
// parent that dies, concurrent callers, and nothing leaked: no zombie, no
// descriptor, no file in /dev/shm, no mapping left in a worker.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "backends/processes/pool.hpp"
#include "support/descriptors.hpp"

extern char** environ;

namespace sy = switchyard;
namespace hooks = switchyard::backends::processes::testing;

namespace {

constexpr sy::options on_processes{.backend = sy::backend::processes};
constexpr sy::options on_threads{.backend = sy::backend::threads};

std::set<std::string> dev_shm() {
  std::set<std::string> names;
  if (DIR* d = opendir("/dev/shm")) {
    while (dirent* e = readdir(d)) names.insert(e->d_name);
    closedir(d);
  }
  return names;
}

/// A process's state letter from /proc/<pid>/stat ('Z' for a zombie), or 0
/// when there is no such process.
char state_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  const auto close_paren = line.rfind(')');
  return close_paren == std::string::npos || close_paren + 2 >= line.size() ? 0 : line[close_paren + 2];
}

/// Children of this process that have exited and were never reaped.
std::vector<pid_t> zombie_children() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    const auto p = line.rfind(')');
    if (p == std::string::npos) continue;
    std::istringstream rest(line.substr(p + 2));
    char state;
    pid_t ppid;
    rest >> state >> ppid;
    if (ppid == getpid() && state == 'Z') out.push_back(pid);
  }
  closedir(d);
  return out;
}

bool maps_contain(pid_t pid, const std::string& what) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(f, line)) {
    if (line.find(what) != std::string::npos) return true;
  }
  return false;
}

template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

sy::shared_array<float> ramp(std::size_t n) {
  sy::shared_array<float> a(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<float>(i % 1000) * 0.25f - 100.0f;
  return a;
}

class Processes : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!sy::availability(sy::backend::processes).available) {
      GTEST_SKIP() << sy::availability(sy::backend::processes).reason;
    }
    // Start the pool first, so the baseline counts its own descriptors.
    {
      const sy::shared_array<float> warm(1 << 18);
      (void)sy::sum(warm, on_processes);
      const std::vector<float> warm_vector(1 << 18);
      (void)sy::sum(warm_vector, on_processes);
    }
    fds_before_ = sy::testing::open_descriptors();
    shm_before_ = dev_shm();
  }
  void TearDown() override {
    hooks::fail_first_shard(0);
    if (IsSkipped()) return;
    EXPECT_TRUE(zombie_children().empty()) << "a worker was left a zombie";
    EXPECT_EQ(sy::testing::leaked_since(fds_before_), "") << "descriptors leaked";
    EXPECT_EQ(dev_shm(), shm_before_) << "something was left in /dev/shm";
  }
  std::multiset<std::string> fds_before_;
  std::set<std::string> shm_before_;
};

TEST_F(Processes, SharedArrayIsZeroFilledAndBehavesAsARange) {
  sy::shared_array<double> a(1000);
  EXPECT_EQ(a.size(), 1000u);
  EXPECT_EQ(std::accumulate(a.begin(), a.end(), 0.0), 0.0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % 4096, 0u) << "page aligned";
  std::iota(a.begin(), a.end(), 1.0);
  EXPECT_EQ(sy::sum(a, on_processes), 500500.0);
  const std::vector<std::int32_t> values{5, -3, 9, 9, -7};
  const sy::shared_array<std::int32_t> copy{std::span<const std::int32_t>(values)};
  EXPECT_EQ(sy::argmax(copy, on_processes)->index, 2u);
  sy::shared_array<double> moved = std::move(a);
  EXPECT_EQ(moved.size(), 1000u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(a.empty());
  const sy::shared_array<float> none;
  EXPECT_EQ(sy::sum(none, on_processes), 0.0f);
  EXPECT_FALSE(sy::min(none, on_processes).has_value());
}

TEST_F(Processes, TooLargeASharedArrayIsAnInvalidArgument) {
  try {
    sy::shared_array<double> a(SIZE_MAX / 4);
    FAIL() << "allocated " << a.size() << " doubles";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
  }
  try {
    sy::shared_array<float> a(std::size_t{1} << 50);
    FAIL() << "allocated " << a.size() << " floats";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument) << e.what();
  }
}

TEST_F(Processes, SubspansOfASharedArrayAndVectorsGiveTheSameBitsAsThreads) {
  const auto a = ramp((std::size_t{5} << 16) + 123);
  const std::vector<float> copy(a.begin(), a.end());
  for (std::size_t offset : {0u, 1u, 4097u}) {
    const std::span<const float> s = std::span<const float>(a).subspan(offset);
    const std::span<const float> v = std::span<const float>(copy).subspan(offset);
    EXPECT_EQ(sy::sum(s, on_processes), sy::sum(v, on_threads));
    EXPECT_EQ(sy::sum(v, on_processes), sy::sum(v, on_threads));
    EXPECT_EQ(sy::dot(s, v, on_processes), sy::dot(v, v, on_threads)) << "one shared input, one not";
    EXPECT_EQ(sy::argmin(s, on_processes)->index, sy::argmin(v, on_threads)->index);
  }
}

TEST_F(Processes, AShardWhoseWorkerDiesIsRerunOnce) {
  const auto a = ramp(std::size_t{8} << 16);
  const std::vector<float> copy(a.begin(), a.end());
  const float want = sy::sum(copy, on_threads);
  hooks::fail_first_shard(1);
  EXPECT_EQ(sy::sum(a, on_processes), want) << "zero-copy path";
  hooks::fail_first_shard(1);
  EXPECT_EQ(sy::sum(copy, on_processes), want) << "copying path";
}

TEST_F(Processes, AShardThatKillsTwoWorkersIsAnError) {
  const auto a = ramp(std::size_t{8} << 16);
  hooks::fail_first_shard(2);
  try {
    (void)sy::sum(a, on_processes);
    FAIL() << "the reduction succeeded although its first shard died twice";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::worker_failed);
    EXPECT_NE(std::string(e.what()).find("chunks [0,"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("SIGKILL"), std::string::npos) << e.what();
  }
  // The pool has recovered: the next call works.
  const std::vector<float> copy(a.begin(), a.end());
  EXPECT_EQ(sy::sum(a, on_processes), sy::sum(copy, on_threads));
}

// A worker that is alive and does not answer (SIGSTOP, or hung) is treated
// as dead once it has finished no chunk for the engine's stall timeout.
constexpr std::chrono::milliseconds short_stall{200};

/// An engine whose workers count as stalled after short_stall, and a sum
/// (zero-copy and copying input) with its answer.
struct short_stall_engine {
  sy::engine e{{.max_threads = 2, .worker_stall_timeout = short_stall}};
  sy::options on_e{.backend = sy::backend::processes, .engine = &e};
  sy::shared_array<float> a = ramp(std::size_t{8} << 16);
  std::vector<float> copy{a.begin(), a.end()};
  float want = sy::sum(copy, on_threads);
};

TEST_F(Processes, AStoppedWorkerIsKilledAndItsShardRerun) {
  short_stall_engine t;
  auto& [e, on_e, a, copy, want] = t;
  ASSERT_EQ(sy::sum(a, on_e), want);
  const auto before = hooks::worker_pids(e);
  hooks::stop_first_shard(1);
  EXPECT_EQ(sy::sum(a, on_e), want) << "zero-copy path";
  const auto after = hooks::worker_pids(e);
  for (pid_t pid : before) {
    if (std::find(after.begin(), after.end(), pid) == after.end()) {
      EXPECT_EQ(state_of(pid), 0) << "the stopped worker " << pid << " was replaced but not reaped";
    }
  }
  EXPECT_NE(before, after) << "no worker was replaced";
  hooks::stop_first_shard(1);
  EXPECT_EQ(sy::sum(copy, on_e), want) << "copying path";
}

TEST_F(Processes, AShardThatStallsTwoWorkersIsAnError) {
  short_stall_engine t;
  hooks::stop_first_shard(2);
  try {
    (void)sy::sum(t.a, t.on_e);
    FAIL() << "the reduction succeeded although its first shard stalled twice";
  } catch (const sy::error& err) {
    EXPECT_EQ(err.code(), sy::errc::worker_failed);
    EXPECT_NE(std::string(err.what()).find("finished no chunk for 200 ms (stopped or hung)"), std::string::npos)
        << err.what();
  }
  // The engine recovers: the next call runs in fresh workers.
  EXPECT_EQ(sy::sum(t.a, t.on_e), t.want);
}

TEST_F(Processes, WorkersStoppedFromOutsideWhileIdleAreReplaced) {
  short_stall_engine t;
  auto& [e, on_e, a, copy, want] = t;
  ASSERT_EQ(sy::sum(a, on_e), want);
  const auto stopped = hooks::worker_pids(e);
  ASSERT_FALSE(stopped.empty());
  // One stopped worker per shard is re-run in a fresh one; stopping every
  // worker of the engine must still give the answer.
  for (pid_t pid : stopped) kill(pid, SIGSTOP);
  EXPECT_EQ(sy::sum(a, on_e), want);
  for (pid_t pid : stopped) EXPECT_EQ(state_of(pid), 0) << "stopped worker " << pid << " is still there";
}

// Fault injection: 300 calls while another thread kills a random worker
// every 3 ms and now and then stops one instead. Every call gives the right
// answer or fails with worker_failed; none hangs, none gives a wrong answer
// or another error, and nothing leaks (TearDown). The counts go to stdout
// for docs/RELIABILITY.md.
TEST_F(Processes, ThreeHundredCallsUnderAKillAndStopStorm) {
  sy::engine e({.max_threads = 2, .worker_stall_timeout = std::chrono::milliseconds(100)});
  const sy::options on_e{.backend = sy::backend::processes, .engine = &e};
  const auto a = ramp(std::size_t{1} << 20);
  const std::vector<float> copy(a.begin(), a.end());
  const float want = sy::sum(copy, on_threads);
  std::atomic<bool> done{false};
  std::atomic<int> kills{0}, stops{0};
  std::thread storm([&] {
    unsigned seed = 12345;
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
      const auto pids = hooks::worker_pids(e);
      if (pids.empty()) continue;
      seed = seed * 1103515245u + 12345u;
      const pid_t victim = pids[(seed >> 16) % pids.size()];
      if ((seed >> 8) % 20 == 0) {
        kill(victim, SIGSTOP);
        ++stops;
      } else {
        kill(victim, SIGKILL);
        ++kills;
      }
    }
  });
  int right = 0, failed = 0, other = 0;
  for (int i = 0; i < 300; ++i) {
    const bool shared = i % 2 == 0;  // the zero-copy path and the copying path
    try {
      const float got = shared ? sy::sum(a, on_e) : sy::sum(copy, on_e);
      if (got == want) ++right;
      else ++other;
    } catch (const sy::error& err) {
      if (err.code() == sy::errc::worker_failed) ++failed;
      else ++other, ADD_FAILURE() << err.what();
    }
  }
  done.store(true);
  storm.join();
  std::printf("kill storm: 300 calls, %d workers killed, %d stopped: %d right, %d worker_failed, %d other\n",
              kills.load(), stops.load(), right, failed, other);
  EXPECT_EQ(other, 0) << "a wrong answer or an error other than worker_failed";
  EXPECT_GT(right, 0);
  EXPECT_GT(kills.load(), 0);
  // After the storm the engine still works.
  EXPECT_EQ(sy::sum(a, on_e), want);
}

TEST(EngineConfig, AStallTimeoutThatIsNotPositiveIsAnInvalidArgument) {
  for (const auto ms : {0, -5}) {
    try {
      sy::engine e({.worker_stall_timeout = std::chrono::milliseconds(ms)});
      ADD_FAILURE() << "an engine was made with worker_stall_timeout " << ms << " ms";
    } catch (const sy::error& err) {
      EXPECT_EQ(err.code(), sy::errc::invalid_argument);
      EXPECT_NE(std::string(err.what()).find("worker_stall_timeout"), std::string::npos) << err.what();
    }
  }
}

TEST_F(Processes, WorkersKilledFromOutsideAreReplaced) {
  const auto a = ramp(std::size_t{1} << 24);  // 64 MiB: long enough to kill mid-call
  const std::vector<float> copy(a.begin(), a.end());
  const double want = sy::sum(copy, on_threads);
  // Killed while idle.
  for (pid_t pid : hooks::worker_pids()) kill(pid, SIGKILL);
  EXPECT_EQ(sy::sum(a, on_processes), want);
  // Killed during the call, from another thread.
  for (int round = 0; round < 3; ++round) {
    const auto victims = hooks::worker_pids();
    ASSERT_FALSE(victims.empty());
    std::thread killer([&] {
      std::this_thread::sleep_for(std::chrono::microseconds(500 + 1000 * round));
      kill(victims[static_cast<std::size_t>(round) % victims.size()], SIGKILL);
    });
    const double got = sy::sum(a, on_processes);
    killer.join();
    EXPECT_EQ(got, want) << "round " << round;
  }
  // A worker killed after the call ended is reaped by the next call.
  EXPECT_EQ(sy::sum(std::span<const float>(a).first(1000), on_processes), sy::sum(std::span<const float>(copy).first(1000), on_threads));
}

TEST_F(Processes, WorkersUnmapASharedArrayWhenItIsDestroyed) {
  const auto pids = [] {
    sy::shared_array<std::int64_t> a(std::size_t{4} << 16);
    (void)sy::sum(a, on_processes);
    const auto live = hooks::worker_pids();
    for (pid_t pid : live) EXPECT_TRUE(maps_contain(pid, "switchyard-shared-array")) << pid;
    return live;
  }();
  // The staging memory of the copying path is not a shared array; only the
  // warm-up arrays of SetUp, destroyed too, and this one could show.
  for (pid_t pid : pids) {
    EXPECT_TRUE(eventually([&] { return !maps_contain(pid, "switchyard-shared-array"); }))
        << "worker " << pid << " still maps a destroyed shared_array";
  }
}

TEST_F(Processes, SeveralThreadsReduceAtOnce) {
  const auto a = ramp((std::size_t{3} << 16) + 5);
  const std::vector<float> copy(a.begin(), a.end());
  const float want_sum = sy::sum(copy, on_threads);
  const auto want_min = *sy::argmin(copy, on_threads);
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const bool shared = (i + t) % 2 == 0;
        const std::span<const float> in = shared ? std::span<const float>(a) : std::span<const float>(copy);
        if (sy::sum(in, on_processes) != want_sum) ++wrong;
        if (sy::argmin(in, on_processes)->index != want_min.index) ++wrong;
        sy::shared_array<float> mine(1000 + static_cast<std::size_t>(t));
        if (sy::sum(mine, on_processes) != 0.0f) ++wrong;
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(wrong.load(), 0);
}

/// Starts the probe program with `mode`, extra environment `env` (NAME=value
/// or empty); returns its pid and a pipe from its stdout.
std::pair<pid_t, int> start_probe(const char* mode, const std::string& env = {}) {
  int out[2];
  if (pipe(out) != 0) return {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> vars;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "SWITCHYARD_WORKER=", 18) != 0) vars.emplace_back(*e);
  }
  if (!env.empty()) vars.push_back(env);
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string name = "processes_parent_probe", m = mode;
  char* argv[] = {name.data(), m.data(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, PARENT_PROBE, &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
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

/// A probe run to its end: the line it printed and its wait status.
struct probe_run {
  std::string line;
  int status = -1;
};

probe_run run_probe(const char* mode, const std::string& env = {}) {
  const auto [pid, out] = start_probe(mode, env);
  if (pid <= 0) {
    ADD_FAILURE() << "the probe did not start";
    return {};
  }
  probe_run r{read_line(out)};
  if (waitpid(pid, &r.status, 0) != pid) ADD_FAILURE() << "the probe could not be waited for";
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
  // 300 ms: well into a shard.
  kill_parent_and_expect_workers_gone("busy", std::chrono::milliseconds(300), std::chrono::seconds(1));
}

// Under a descriptor limit too tight for the workers' channels, the error
// names the limit (it said "fcntl: Invalid argument").
TEST_F(Processes, ATightDescriptorLimitIsNamed) {
  const auto [line, status] = run_probe("nofile");
  EXPECT_NE(line.find("error"), std::string::npos) << line;
  EXPECT_NE(line.find("RLIMIT_NOFILE 8"), std::string::npos) << line;
  EXPECT_EQ(line.find("Invalid argument"), std::string::npos) << line;
}

TEST_F(Processes, AForkedChildGetsAPoolOfItsOwn) {
  const auto [line, status] = run_probe("fork");
  EXPECT_EQ(line, "child ok");
}

TEST_F(Processes, AWorkerProgramThatCannotStartIsABackendUnavailableError) {
  const auto [line, status] = run_probe("once", "SWITCHYARD_WORKER=/nonexistent/switchyard-worker");
  EXPECT_EQ(WEXITSTATUS(status), 3) << line;
  EXPECT_NE(line.find("error " + std::to_string(static_cast<int>(sy::errc::backend_unavailable))), std::string::npos)
      << line;
  EXPECT_NE(line.find("/nonexistent/switchyard-worker"), std::string::npos) << line;
}

// A worker killed before it was ready died, as one killed mid-shard does:
// worker_failed (it was backend_unavailable, as for a program that cannot
// run, about 1 call in 20 under a kill storm).
TEST_F(Processes, AWorkerKilledBeforeItWasReadyIsAWorkerFailure) {
  char dir[] = "/tmp/switchyard-killed-worker-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string script = std::string(dir) + "/worker";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\nkill -KILL $$\n";
  }
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  const auto [line, status] = run_probe("once", "SWITCHYARD_WORKER=" + script);
  EXPECT_EQ(WEXITSTATUS(status), 3) << line;
  EXPECT_NE(line.find("error " + std::to_string(static_cast<int>(sy::errc::worker_failed))), std::string::npos) << line;
  EXPECT_NE(line.find("killed by SIGKILL before it was ready"), std::string::npos) << line;
  std::remove(script.c_str());
  rmdir(dir);
}

TEST_F(Processes, SwitchyardWorkerPointsAtAnInstalledWorkerProgram) {
  const auto [line, status] = run_probe("once", "SWITCHYARD_WORKER=" WORKER_PROGRAM);
  EXPECT_EQ(WEXITSTATUS(status), 0) << line;
  EXPECT_EQ(line, "ok");
}

}  // namespace
