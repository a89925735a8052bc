// The I/O layer's loop and what runs on it, on each backend: tasks, the
// context (backend choice, spawn, draining), when_all / when_any, the
// limiter, offload and the stall detector.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/error.hpp>
#include <switchyard/io.hpp>

#include "io/io_support.hpp"

namespace io = switchyard::io;
using switchyard::task;
using switchyard::testing::bytes_of;
using switchyard::testing::Io;
using switchyard::testing::nap;
using switchyard::testing::numbered_call;
using namespace std::chrono_literals;

namespace {

task<int> value(int x) { co_return x; }
task<int> fail_with(const char* what) {
  throw std::runtime_error(what);
  co_return 0;
}

TEST_F(Io, TasksReturnValuesAndPropagateExceptions) {
  io::context ctx;
  const char* forced = std::getenv("SWITCHYARD_IO_BACKEND");
  const std::string want = forced && std::string(forced) == "fallback" ? "fallback" : "io_uring";
  EXPECT_EQ(ctx.backend_name(), want) << ctx.backend_reason();
  EXPECT_FALSE(ctx.backend_reason().empty());
  EXPECT_EQ(ctx.run(value(42)), 42);
  EXPECT_THROW(ctx.run(fail_with("boom")), std::runtime_error);
  auto outer = [&]() -> task<std::string> {
    try {
      co_await fail_with("inner");
    } catch (const std::runtime_error& e) {
      co_return std::string("caught ") + e.what();
    }
    co_return "not caught";
  };
  EXPECT_EQ(ctx.run(outer()), "caught inner");
}

TEST_F(Io, AnUnknownBackendNameIsAnInvalidArgument) {
  const char* old = std::getenv("SWITCHYARD_IO_BACKEND");
  const std::string saved = old ? old : "";
  ::setenv("SWITCHYARD_IO_BACKEND", "kqueue", 1);
  try {
    io::context ctx;
    ADD_FAILURE() << "a context on backend " << ctx.backend_name();
  } catch (const switchyard::error& e) {
    EXPECT_EQ(e.code(), switchyard::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("kqueue"), std::string::npos) << e.what();
  }
  if (old) {
    ::setenv("SWITCHYARD_IO_BACKEND", saved.c_str(), 1);
  } else {
    ::unsetenv("SWITCHYARD_IO_BACKEND");
  }
}

TEST_F(Io, AnEmptyTaskIsAnInvalidArgument) {
  io::context ctx;
  task<int> t = value(1);
  task<int> moved = std::move(t);
  try {
    ctx.run(std::move(t));
    ADD_FAILURE() << "ran a moved-from task";
  } catch (const switchyard::error& e) {
    EXPECT_EQ(e.code(), switchyard::errc::invalid_argument);
  }
  EXPECT_THROW(ctx.spawn(task<void>{}), switchyard::error);
  EXPECT_EQ(ctx.run(std::move(moved)), 1);
}

TEST_F(Io, LongChainsOfSynchronousCompletionsDoNotGrowTheStack) {
  io::context ctx;
  // Without symmetric transfer each of these would nest a resume() frame.
  auto sum = [&]() -> task<long> {
    long s = 0;
    for (int i = 0; i < 1'000'000; ++i) s += co_await value(1);
    co_return s;
  };
  EXPECT_EQ(ctx.run(sum()), 1'000'000);
}

TEST_F(Io, WhenAllCancelsTheOthersWhenOneFailsThenRethrowsTheFirstError) {
  io::context ctx;
  std::atomic<int> cancelled{0};
  auto sleeper = [&]() -> task<int> {
    try {
      co_await io::sleep_for(ctx, 10s);
    } catch (const io::cancelled_error&) {
      ++cancelled;
      throw;
    }
    co_return 1;
  };
  auto failer = [&]() -> task<int> {
    co_await io::sleep_for(ctx, 5ms);
    throw std::logic_error("first failure");
  };
  auto group = [&]() -> task<void> { (void)co_await io::when_all(sleeper(), failer(), sleeper()); };
  const auto t0 = std::chrono::steady_clock::now();
  try {
    ctx.run(group());
    ADD_FAILURE() << "when_all succeeded";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "first failure");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "the sleepers were not cancelled";
  EXPECT_EQ(cancelled.load(), 2);
}

TEST_F(Io, WhenAllGivesResultsInOrderAndWhenAnyTheFirstToFinish) {
  io::context ctx;
  auto after = [&](std::chrono::milliseconds d, int v) -> task<int> {
    co_await io::sleep_for(ctx, d);
    co_return v;
  };
  auto nothing_after = [&](std::chrono::milliseconds d) -> task<void> { co_await io::sleep_for(ctx, d); };
  auto all = [&]() -> task<int> {
    auto [a, b, c] = co_await io::when_all(after(20ms, 1), nothing_after(1ms), after(1ms, 3));
    (void)b;
    std::vector<task<int>> v;
    for (int i = 0; i < 5; ++i) v.push_back(after(std::chrono::milliseconds(5 - i), i));
    const auto r = co_await io::when_all(std::move(v));
    co_return a * 100 + c * 10 + std::accumulate(r.begin(), r.end(), 0);
  };
  EXPECT_EQ(ctx.run(all()), 100 + 30 + 10);
  auto any = [&]() -> task<std::pair<std::size_t, int>> {
    std::vector<task<int>> v;
    v.push_back(after(5s, 0));
    v.push_back(after(2ms, 1));
    v.push_back(after(5s, 2));
    co_return co_await io::when_any(std::move(v));
  };
  const auto t0 = std::chrono::steady_clock::now();
  const auto [index, v] = ctx.run(any());
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(v, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "the losers were not cancelled";
  // No tasks, no winner: a clear error, not a crash.
  auto none = []() -> task<void> { (void)co_await io::when_any(std::vector<task<int>>{}); };
  try {
    ctx.run(none());
    ADD_FAILURE() << "when_any of no tasks returned";
  } catch (const switchyard::error& e) {
    EXPECT_EQ(e.code(), switchyard::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("when_any"), std::string::npos) << e.what();
  }
}

TEST_F(Io, ALimiterKeepsAtMostNInFlight) {
  io::context ctx;
  io::limiter limit(ctx, 3);
  int now = 0, most = 0;
  auto job = [&](int i) -> task<int> {
    ++now;
    most = std::max(most, now);
    co_await io::sleep_for(ctx, std::chrono::milliseconds(1 + i % 3));
    --now;
    co_return i;
  };
  auto all = [&]() -> task<int> {
    std::vector<task<int>> v;
    for (int i = 0; i < 30; ++i) v.push_back(limit.run(job(i)));
    const auto r = co_await io::when_all(std::move(v));
    co_return std::accumulate(r.begin(), r.end(), 0);
  };
  EXPECT_EQ(ctx.run(all()), 435);
  EXPECT_EQ(most, 3);
  EXPECT_EQ(limit.available(), 3u);
  // A waiter cancelled by its group leaves the queue.
  auto hold_then_fail = [&]() -> task<int> {
    auto p = co_await limit.acquire();
    co_await io::sleep_for(ctx, 2ms);
    throw std::runtime_error("stop the group");
  };
  auto group = [&]() -> task<void> {
    std::vector<task<int>> v;
    v.push_back(hold_then_fail());
    for (int i = 0; i < 5; ++i) v.push_back(limit.run(job(i)));
    (void)co_await io::when_all(std::move(v));
  };
  EXPECT_THROW(ctx.run(group()), std::runtime_error);
  EXPECT_EQ(limit.available(), 3u) << "every place came back";
}

// The last timer's completion hands a place to a waiting task: the loop must
// run that task rather than block with nothing left to wait for (the
// fallback once slept forever here).
TEST_F(Io, WorkThatATimerWakesRunsBeforeTheLoopBlocks) {
  io::context ctx;
  io::limiter limit(ctx, 1);
  auto holder = [&]() -> task<int> {
    auto p = co_await limit.acquire();
    co_await io::sleep_for(ctx, 2ms);
    co_return 1;
  };
  auto follower = [&]() -> task<int> {
    auto p = co_await limit.acquire();
    co_return 2;
  };
  auto both = [&]() -> task<int> {
    const auto [a, b] = co_await io::when_all(holder(), follower());
    co_return a + b;
  };
  for (int round = 0; round < 20; ++round) EXPECT_EQ(ctx.run(both()), 3);
}

TEST_F(Io, DestroyingAContextCancelsAndDrainsSpawnedTasks) {
  std::atomic<int> cancelled{0}, finished{0};
  const auto t0 = std::chrono::steady_clock::now();
  {
    io::context ctx;
    for (int i = 0; i < 100; ++i) {
      ctx.spawn([](io::context& c, std::atomic<int>& seen, std::atomic<int>& done) -> task<void> {
        try {
          co_await io::sleep_for(c, 30s);
        } catch (const io::cancelled_error&) {
          ++seen;
        }
        ++done;
      }(ctx, cancelled, finished));
    }
    ctx.run(nap(ctx, 1ms));  // the spawned tasks start and block
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(cancelled.load(), 100);
  EXPECT_EQ(finished.load(), 100);
}

// Many sleepers cancelled at once, through when_all and by the context's
// end: every one ends with cancelled_error and nothing is left. (Both were
// quadratic in the sleepers: a cancel walked every timer; io_bench's
// cancel/when_all_sleepers times 100,000.)
TEST_F(Io, TwentyThousandSleepersAreAllCancelled) {
  constexpr int sleepers = 20'000;
  int cancelled = 0;
  {
    io::context ctx;
    auto sleeper = [&]() -> task<void> {
      try {
        co_await io::sleep_for(ctx, 1h);
      } catch (const io::cancelled_error&) {
        ++cancelled;
        throw;
      }
    };
    auto failing = [&]() -> task<void> {
      co_await io::sleep_for(ctx, 1ms);
      throw std::runtime_error("stop them all");
    };
    auto body = [&]() -> task<std::string> {
      std::vector<task<void>> all;
      for (int i = 0; i < sleepers; ++i) all.push_back(sleeper());
      all.push_back(failing());
      try {
        co_await io::when_all(std::move(all));
      } catch (const std::runtime_error& e) {
        co_return e.what();
      }
      co_return "no error";
    };
    EXPECT_EQ(ctx.run(body()), "stop them all");
    EXPECT_EQ(cancelled, sleepers);
    EXPECT_EQ(ctx.loop().in_flight(), 0u);

    cancelled = 0;
    for (int i = 0; i < sleepers; ++i) {
      ctx.spawn([](io::context& c, int& seen) -> task<void> {
        try {
          co_await io::sleep_for(c, 1h);
        } catch (const io::cancelled_error&) {
          ++seen;
        }
      }(ctx, cancelled));
    }
    ctx.run(nap(ctx, 1ms));  // the spawned sleepers start
  }  // the context's end cancels them
  EXPECT_EQ(cancelled, sleepers);
}

// spawn from other threads while the loop's own thread spawns too: every
// task runs once, nothing is lost (this raced on the spawned-task list).
TEST_F(Io, SpawnFromManyThreadsAtOnce) {
  constexpr int per_thread = 2000;
  std::atomic<int> ran{0};
  {
    io::context ctx;
    auto count = [](std::atomic<int>& n) -> task<void> {
      ++n;
      co_return;
    };
    std::atomic<bool> go{false};
    std::vector<std::thread> spawners;
    for (int t = 0; t < 2; ++t) {
      spawners.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < per_thread; ++i) ctx.spawn(count(ran));
      });
    }
    ctx.run([](io::context& c, std::atomic<bool>& start, std::atomic<int>& n, auto make) -> task<void> {
      start = true;
      for (int i = 0; i < per_thread; ++i) {
        c.spawn(make(n));
        if (i % 64 == 0) co_await io::sleep_for(c, std::chrono::microseconds(10));
      }
      while (n.load() < 3 * per_thread) co_await io::sleep_for(c, std::chrono::milliseconds(1));
    }(ctx, go, ran, count));
    for (auto& s : spawners) s.join();
  }
  EXPECT_EQ(ran.load(), 3 * per_thread);
}

TEST_F(Io, SpawnedTasksErrorsGoToTheHandler) {
  std::vector<std::string> errors;
  {
    io::context ctx;
    ctx.on_spawn_error([&](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        errors.emplace_back(x.what());
      }
    });
    ctx.spawn([]() -> task<void> {
      throw std::runtime_error("spawned failure");
      co_return;
    }());
    ctx.run(nap(ctx, 1ms));
  }
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "spawned failure");
}

TEST_F(Io, OffloadRunsOnTheComputeSideAndResumesOnTheLoopThread) {
  io::context ctx;
  const auto loop_thread = std::this_thread::get_id();
  auto body = [&]() -> task<long> {
    std::thread::id ran_on;
    const long s = co_await io::offload(ctx, [&] {
      ran_on = std::this_thread::get_id();
      long acc = 0;
      for (long i = 1; i <= 1000; ++i) acc += i;
      return acc;
    });
    EXPECT_NE(ran_on, loop_thread) << "the function ran on the loop's thread";
    EXPECT_EQ(std::this_thread::get_id(), loop_thread) << "resumed elsewhere";
    try {
      co_await io::offload(ctx, [] { throw std::domain_error("from the compute side"); });
      ADD_FAILURE() << "no exception";
    } catch (const std::domain_error& e) {
      EXPECT_STREQ(e.what(), "from the compute side");
    }
    co_return s;
  };
  EXPECT_EQ(ctx.run(body()), 500500);
}

TEST_F(Io, TheStallDetectorReportsALongResumption) {
  io::context ctx;
  std::vector<std::chrono::nanoseconds> stalls;
  ctx.detect_stalls(50ms, [&](std::chrono::nanoseconds d) { stalls.push_back(d); });
  auto body = [&]() -> task<void> {
    co_await io::sleep_for(ctx, 1ms);
    const auto until = std::chrono::steady_clock::now() + 80ms;
    while (std::chrono::steady_clock::now() < until) {
    }
    co_await io::sleep_for(ctx, 1ms);  // short: not a stall
  };
  ctx.run(body());
  ASSERT_EQ(stalls.size(), 1u);
  EXPECT_GE(stalls[0], 80ms);
  ctx.detect_stalls(0ns, [&](std::chrono::nanoseconds d) { stalls.push_back(d); });
  ctx.run(body());
  EXPECT_EQ(stalls.size(), 1u) << "threshold 0 turns the detector off";
}

// What a stop from another thread relies on: a call withdrawn from the
// loop's queue never runs, whether it waits there or in the batch the loop
// is running, and the queue goes on in order behind it.
TEST_F(Io, AWithdrawnPostedCallNeverRuns) {
  io::context ctx;
  io::detail::loop& l = ctx.loop();
  std::vector<int> ran;
  std::vector<std::unique_ptr<numbered_call>> calls;
  bool withdrew = false;
  // The first, run, withdraws the next in the batch being run.
  calls.push_back(std::make_unique<numbered_call>(ran, 1, [&] { withdrew = l.withdraw(*calls[1]); }));
  for (int n = 2; n <= 6; ++n) calls.push_back(std::make_unique<numbered_call>(ran, n));
  for (int i = 0; i < 5; ++i) l.post(*calls[i]);
  EXPECT_TRUE(l.withdraw(*calls[2]));   // from the middle
  EXPECT_TRUE(l.withdraw(*calls[4]));   // the last: the next post goes behind the one before it
  EXPECT_FALSE(l.withdraw(*calls[4]));  // no longer there
  l.post(*calls[5]);
  auto nothing = []() -> task<void> { co_return; };
  ctx.run(nothing());
  EXPECT_EQ(ran, (std::vector<int>{1, 4, 6}));
  EXPECT_TRUE(withdrew);
}

}  // namespace
