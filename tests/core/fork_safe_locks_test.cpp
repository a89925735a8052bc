// The locks a fork cannot leave held: fork_safe_mutex (the log handler's)
// and set_up_once on it (a backend's probe, the dispatcher's first load,
// the cuda module, the threads backend's pool, a decision-table row). Here
// what they are besides: one holder at a time; a set-up runs once it
// succeeds, a run that throws leaves it to the next caller, and callers
// that come while it runs wait for it. (A child forked while another
// thread held one takes it over: fork_test, which the sanitizer presets
// leave out.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "core/src/fork_safe_mutex.hpp"
#include "core/src/set_up_once.hpp"

namespace {

using switchyard::detail::fork_safe_mutex;
using switchyard::detail::set_up_once;

// Four threads add to a plain count under the lock: every addition lands
// (and ThreadSanitizer sees no race).
TEST(ForkSafeMutex, OneHolderAtATime) {
  fork_safe_mutex m;
  long count = 0;
  std::vector<std::thread> adders;
  for (int t = 0; t < 4; ++t) {
    adders.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        const std::lock_guard lock(m);
        ++count;
      }
    });
  }
  for (std::thread& t : adders) t.join();
  EXPECT_EQ(count, 80000);
}

TEST(ForkSafeMutex, TryLockFailsWhileAnotherThreadHoldsIt) {
  fork_safe_mutex m;
  ASSERT_TRUE(m.try_lock());
  std::thread([&] { EXPECT_FALSE(m.try_lock()); }).join();
  m.unlock();
  std::thread([&] {
    EXPECT_TRUE(m.try_lock());
    m.unlock();
  }).join();
}

TEST(SetUpOnce, ARunThatThrowsLeavesItToTheNextCaller) {
  set_up_once once;
  int runs = 0;
  EXPECT_THROW(once.run([&] {
    ++runs;
    throw std::bad_alloc();
  }),
               std::bad_alloc);
  EXPECT_FALSE(once.done());
  once.run([&] { ++runs; });
  once.run([&] { ++runs; });
  EXPECT_EQ(runs, 2);
  EXPECT_TRUE(once.done());
}

// Eight threads at once, the first run throwing: one run at a time, the
// second one succeeds, and every caller returns having seen its effect.
TEST(SetUpOnce, CallersAtOnceWaitForTheRunAndSeeWhatItMade) {
  set_up_once once;
  std::atomic<int> running{0};
  std::atomic<int> overlapped{0};
  std::atomic<int> runs{0};
  int made = 0;  // written by the run alone, read by every caller after it
  std::atomic<int> saw_it{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (;;) {
        try {
          once.run([&] {
            if (running.fetch_add(1) != 0) ++overlapped;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            const bool first = runs.fetch_add(1) == 0;
            running.fetch_sub(1);
            if (first) throw std::bad_alloc();
            made = 42;
          });
          break;
        } catch (const std::bad_alloc&) {
          // This caller's run failed: it asks again, as a caller would.
        }
      }
      if (made == 42) ++saw_it;
    });
  }
  go = true;
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(overlapped.load(), 0);
  EXPECT_EQ(saw_it.load(), 8);
}

}  // namespace
