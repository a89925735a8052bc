// What the processes backend promises beyond the conformance suite: shared
// arrays, workers that die or stall (killed or stopped from outside, failed
// on purpose, under a storm of both), concurrent callers, and nothing leaked:
// no zombie, no descriptor, no file in /dev/shm, no mapping left in a worker.
// The parent's side (its death, fork, limits) is processes_parent_test.cpp.
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

#include "processes_fixture.hpp"

namespace {

using namespace processes_test;

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

// A worker writes nothing to the program's stderr: what made it exit is in
// the error.
TEST_F(Processes, AWorkerThatFailsSaysWhyInTheErrorNotOnStderr) {
  const auto a = ramp(std::size_t{8} << 16);
  ::testing::internal::CaptureStderr();
  std::string what;
  sy::errc code{};
  {
    sy::engine own({.max_threads = 2});  // its workers start inside the capture
    hooks::error_first_shard(2);
    try {
      (void)sy::sum(a, {.backend = sy::backend::processes, .engine = &own});
    } catch (const sy::error& e) {
      what = e.what();
      code = static_cast<sy::errc>(e.code().value());
    }
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, sy::errc::worker_failed) << what;
  EXPECT_NE(what.find("exited with status 2 (failed on purpose (a test's hook): Input/output error)"), std::string::npos)
      << what;
  EXPECT_EQ(err, "");
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

TEST_F(Processes, JobsOfAFewChunksAndClaimingRoundsGiveTheBitsOfThreads) {
  // As an input too large for one job's results runs: in jobs of 3 chunks
  // (copying) and in claiming rounds of 3 chunks (in place).
  hooks::limit_job_chunks(3);
  struct unlimit {
    ~unlimit() { hooks::limit_job_chunks(0); }
  } after;
  auto a = ramp((std::size_t{20} << 16) + 12345);
  a[(std::size_t{17} << 16) + 5] = -1000.0f;  // the least, in the sixth round
  a[(std::size_t{9} << 16) + 7] = 5000.0f;    // the greatest, in the fourth
  const std::vector<float> copy(a.begin(), a.end());
  const std::vector<float> other(copy.rbegin(), copy.rend());
  const sy::shared_array<float> b{std::span<const float>(other)};
  for (const std::span<const float> x : {std::span<const float>(a), std::span<const float>(copy)}) {
    const char* path = x.data() == a.data() ? "in place" : "copying";
    EXPECT_EQ(sy::sum(x, on_processes), sy::sum(copy, on_threads)) << path;
    EXPECT_EQ(sy::sum(x, {.backend = sy::backend::processes, .accuracy = sy::accuracy::fast}),
              sy::sum(copy, {.backend = sy::backend::threads, .accuracy = sy::accuracy::fast}))
        << path;
    EXPECT_EQ(sy::argmin(x, on_processes)->index, (std::size_t{17} << 16) + 5) << path;
    EXPECT_EQ(sy::argmax(x, on_processes)->index, (std::size_t{9} << 16) + 7) << path;
    EXPECT_EQ(sy::count_if(x, sy::gt(100.0f), on_processes), sy::count_if(copy, sy::gt(100.0f), on_threads)) << path;
    EXPECT_EQ(sy::dot(x, b, on_processes), sy::dot(copy, other, on_threads)) << path;
  }
  // A worker that dies in a round: what it took is run again.
  for (const std::size_t chunk : {0u, 10u, 19u}) {
    const int before = hooks::rerun_chunks();
    hooks::fail_chunk(chunk, 1);
    EXPECT_EQ(sy::sum(a, on_processes), sy::sum(copy, on_threads)) << "died at chunk " << chunk;
    EXPECT_GT(hooks::rerun_chunks(), before) << "died at chunk " << chunk;
  }
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

TEST_F(Processes, AWorkerThatNeverRunsLeavesItsChunksToTheOthers) {
  short_stall_engine t;
  auto& [e, on_e, a, copy, want] = t;
  ASSERT_EQ(sy::sum(a, on_e), want);
  const auto workers = hooks::worker_pids(e);
  ASSERT_EQ(workers.size(), 2u);
  // In place, the workers take chunks as they go: the one running takes
  // them all, and the stopped one, killed once it stalls, leaves none.
  ASSERT_EQ(kill(workers[1], SIGSTOP), 0);
  int before = hooks::rerun_chunks();
  EXPECT_EQ(sy::sum(a, on_e), want) << "zero-copy path";
  EXPECT_EQ(hooks::rerun_chunks() - before, 0);
  EXPECT_EQ(state_of(workers[1]), 0) << "the stopped worker was not killed and reaped";
  // A copying call gives each worker a shard of its own, so a stopped
  // worker's shard is run again in a fresh one.
  ASSERT_EQ(sy::sum(a, on_e), want);
  const auto fresh = hooks::worker_pids(e);
  ASSERT_EQ(fresh.size(), 2u);
  ASSERT_EQ(kill(fresh[1], SIGSTOP), 0);
  before = hooks::rerun_chunks();
  EXPECT_EQ(sy::sum(copy, on_e), want) << "copying path";
  EXPECT_EQ(hooks::rerun_chunks() - before, static_cast<int>(a.size() >> 16) / 2);
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
// every 3 ms (or slower, on a machine slow to start one) and now and then
// stops one instead. Every call gives the right answer or fails with
// worker_failed; none hangs, none gives a wrong answer or another error, and
// nothing leaks (TearDown). The counts go to stdout for docs/RELIABILITY.md.
TEST_F(Processes, ThreeHundredCallsUnderAKillAndStopStorm) {
  sy::engine e({.max_threads = 2, .worker_stall_timeout = std::chrono::milliseconds(100)});
  const sy::options on_e{.backend = sy::backend::processes, .engine = &e};
  const auto a = ramp(std::size_t{1} << 20);
  const std::vector<float> copy(a.begin(), a.end());
  const float want = sy::sum(copy, on_threads);
  // The storm's pace follows this machine's worker restart (fork, exec and,
  // under the sanitizers, their runtime's own start): a kill every 3 ms, or
  // every restart where one takes longer, timed from a kill to the first call
  // that works. On a Zen 5 guest whose fork takes 1.8 ms, ThreadSanitizer's
  // workers never lived long enough at 3 ms for one of the 300 calls to
  // finish. A worker still starting at the 100 ms limit is waited for while
  // it runs (TSan's take about as long), but one asleep then (its pages not
  // yet cached, from a fresh clone) fails its call with worker_failed like
  // any in the storm: the set-up waits for the first call that works, at
  // most 20, and takes no other error.
  const auto until_one_works = [&](const auto& v) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      try {
        return sy::sum(v, on_e) == want;
      } catch (const sy::error& err) {
        if (err.code() != sy::errc::worker_failed) throw;
      }
    }
    return false;
  };
  ASSERT_TRUE(until_one_works(copy)) << "starting the workers: a wrong sum, or 20 calls failed with worker_failed";
  kill(hooks::worker_pids(e).front(), SIGKILL);
  const auto restart_begins = std::chrono::steady_clock::now();
  ASSERT_TRUE(until_one_works(copy)) << "after one kill: a wrong sum, or 20 calls failed with worker_failed";
  const auto pace = std::max<std::chrono::steady_clock::duration>(std::chrono::milliseconds(3),
                                                                  std::chrono::steady_clock::now() - restart_begins);
  std::atomic<bool> done{false};
  std::atomic<int> kills{0}, stops{0};
  std::thread storm([&] {
    unsigned seed = 12345;
    while (!done.load()) {
      std::this_thread::sleep_for(pace);
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
  // After the storm the engine still works (a worker the storm left stopped
  // may fail the first call, as in the storm).
  EXPECT_TRUE(until_one_works(a)) << "after the storm: a wrong sum, or 20 calls failed with worker_failed";
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
  // Killed while idle, and dead (a zombie) by the next call: each is
  // replaced before that call posts it a job, so no chunk runs twice.
  for (pid_t pid : hooks::worker_pids()) {
    kill(pid, SIGKILL);
    EXPECT_TRUE(eventually([&] { return state_of(pid) == 'Z'; })) << "worker " << pid;
  }
  const int reruns = hooks::rerun_chunks();
  EXPECT_EQ(sy::sum(a, on_processes), want);
  EXPECT_EQ(hooks::rerun_chunks(), reruns) << "a worker killed while idle was posted a job";
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

}  // namespace
