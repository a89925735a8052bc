// The threads backend wakes apart a oneTBB worker that last ran on its
// caller's CPU (backends/chunked/spread.hpp), for the call only, in a call
// of several chunks; the bits are the same either way.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <switchyard/switchyard.hpp>

#include "backends/chunked/spread.hpp"

namespace {

namespace sy = switchyard;
using switchyard::backends::spread_wakes;

/// Every thread of this process but the calling one: the engine's oneTBB
/// workers.
std::vector<pid_t> other_threads() {
  std::vector<pid_t> tids;
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) return tids;
  while (const dirent* e = readdir(d)) {
    const pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
    if (tid > 0 && tid != gettid()) tids.push_back(tid);
  }
  closedir(d);
  return tids;
}

cpu_set_t one_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return set;
}

std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 1000) * 0.25f - 60.0f;
  return v;
}

class ThreadsSpread : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sched_getaffinity(0, sizeof allowed_, &allowed_), 0);
    if (CPU_COUNT(&allowed_) < 2) GTEST_SKIP() << "needs two CPUs to wake a worker apart on; this process may run on one";
    while (!CPU_ISSET(first_cpu_, &allowed_)) ++first_cpu_;
    second_cpu_ = first_cpu_ + 1;
    while (!CPU_ISSET(second_cpu_, &allowed_)) ++second_cpu_;
    // oneTBB counts the CPUs it may use once, when first used: before the
    // caller is held to one.
    const auto warm = ramp(16 * (std::size_t{1} << 16));
    EXPECT_EQ(sy::sum(warm, on_threads_), sy::sum(warm, {.backend = sy::backend::serial}));
    // The caller stays on one CPU for the rest of the test, so that where it
    // runs when a call starts is known.
    const cpu_set_t one = one_cpu(first_cpu_);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  }
  void TearDown() override { sched_setaffinity(0, sizeof allowed_, &allowed_); }

  /// Calls with every worker held to the caller's CPU while the caller runs
  /// on another, so each worker runs chunks there and last ran there. For
  /// 50 ms at least: where another program keeps that CPU busy (a test
  /// beside this one), a woken worker may wait longer than one call of a
  /// few milliseconds, which the caller then runs alone.
  void call_with_workers_on_the_callers_cpu(const std::vector<float>& v, float want) {
    const cpu_set_t one = one_cpu(first_cpu_), other = one_cpu(second_cpu_);
    const auto workers = other_threads();
    for (pid_t tid : workers) ASSERT_EQ(sched_setaffinity(tid, sizeof one, &one), 0);
    ASSERT_EQ(sched_setaffinity(0, sizeof other, &other), 0);
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
    do EXPECT_EQ(sy::sum(v, on_threads_), want);
    while (std::chrono::steady_clock::now() < end);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    for (pid_t tid : workers) ASSERT_EQ(sched_setaffinity(tid, sizeof allowed_, &allowed_), 0);
  }

  /// No thread of the engine is left held to fewer CPUs than the process may use.
  void expect_nothing_pinned() const {
    for (pid_t tid : other_threads()) {
      cpu_set_t mask;
      ASSERT_EQ(sched_getaffinity(tid, sizeof mask, &mask), 0);
      EXPECT_TRUE(CPU_EQUAL(&mask, &allowed_)) << "thread " << tid << " was left pinned";
    }
  }

  cpu_set_t allowed_{};
  int first_cpu_ = 0;   // where the caller runs
  int second_cpu_ = 0;  // the next CPU the process may use
  sy::engine engine_{{.max_threads = 2}};
  sy::options on_threads_{.backend = sy::backend::threads, .engine = &engine_};
};

TEST_F(ThreadsSpread, AWorkerThatLastRanOnTheCallersCpuRunsTheNextCallElsewhere) {
  const auto v = ramp(64 * (std::size_t{1} << 16));  // 64 chunks: the worker takes some
  const float want = sy::sum(v, {.backend = sy::backend::serial});
  ASSERT_FALSE(other_threads().empty()) << "a call of 16 chunks on two threads started no worker thread";

  // A worker took chunks of the holding call unless the machine kept it from
  // running through all of it: a few tries.
  int woken = 0;
  for (int attempt = 0; attempt < 5 && woken == 0; ++attempt) {
    call_with_workers_on_the_callers_cpu(v, want);
    const int before = spread_wakes.load();
    EXPECT_EQ(sy::sum(v, on_threads_), want);
    woken = spread_wakes.load() - before;
  }
  EXPECT_EQ(woken, 1) << "the one worker woken apart from its caller";
  expect_nothing_pinned();
}

TEST_F(ThreadsSpread, ACallOfAFewChunksLeavesItsWorkersWhereTheyAre) {
  const auto big = ramp(64 * (std::size_t{1} << 16));
  const auto few = ramp(3 * (std::size_t{1} << 16));  // under the four chunks that pay for a move
  const float want_big = sy::sum(big, {.backend = sy::backend::serial});
  const float want_few = sy::sum(few, {.backend = sy::backend::serial});
  call_with_workers_on_the_callers_cpu(big, want_big);
  const int before = spread_wakes.load();
  EXPECT_EQ(sy::sum(few, on_threads_), want_few);
  EXPECT_EQ(spread_wakes.load(), before);
}

TEST_F(ThreadsSpread, CallsFromInsideOneTbbTasksAreRightAndLeaveNothingPinned) {
  // A user's own parallel loop whose tasks call the library: the callers are
  // oneTBB's workers too, and a caller is never moved for its own call.
  const auto v = ramp(64 * (std::size_t{1} << 16));
  const float want = sy::sum(v, {.backend = sy::backend::serial});
  call_with_workers_on_the_callers_cpu(v, want);
  std::atomic<int> wrong{0};
  // Made visible to ThreadSanitizer, which does not see oneTBB's own hand-off
  // (the range overload copies the body in oneTBB's headers, as the library's
  // loop does: tests/tsan.supp).
  std::atomic<bool> published{false};
  std::atomic<int> finished{0};
  published.store(true, std::memory_order_release);
  tbb::parallel_for(tbb::blocked_range<int>(0, 8, 1), [&](const tbb::blocked_range<int>& r) {
    (void)published.load(std::memory_order_acquire);
    for (int i = r.begin(); i != r.end(); ++i) {
      if (sy::sum(v, on_threads_) != want) wrong.fetch_add(1);
    }
    finished.fetch_add(static_cast<int>(r.size()), std::memory_order_release);
  });
  EXPECT_EQ(finished.load(std::memory_order_acquire), 8);
  EXPECT_EQ(wrong.load(), 0);
  expect_nothing_pinned();
}

TEST_F(ThreadsSpread, CallersOnTwoThreadsAtOnceLeaveNothingPinned) {
  // Two callers share the arena's one worker and take turns on each other's
  // CPUs, so each call may find the worker beside it and move it while the
  // other call holds it moved.
  const auto v = ramp(8 * (std::size_t{1} << 16));
  const float want = sy::sum(v, {.backend = sy::backend::serial});
  std::atomic<int> wrong{0};
  const int before = spread_wakes.load();
  auto caller = [&](int start) {
    const int cpus[2] = {first_cpu_, second_cpu_};
    for (int i = 0; i < 500; ++i) {
      if (i % 7 == 0) {
        const cpu_set_t one = one_cpu(cpus[(i / 7 + start) % 2]);
        sched_setaffinity(0, sizeof one, &one);
      } else if (i % 7 == 3) {
        sched_setaffinity(0, sizeof allowed_, &allowed_);
      }
      if (sy::sum(v, on_threads_) != want) wrong.fetch_add(1);
    }
  };
  // Rounds until calls have moved the worker (where another program keeps a
  // CPU busy, the worker may seldom run a chunk), for 10 s at most.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::thread a(caller, 0), b(caller, 1);
    a.join();
    b.join();
  } while (spread_wakes.load() - before < 2 && std::chrono::steady_clock::now() < end);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(spread_wakes.load() - before, 2) << "calls seldom found the worker beside them: too little was tested";
  expect_nothing_pinned();
}

}  // namespace
