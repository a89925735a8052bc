// A child that fork() made after the library's threads ran in its parent (a
// prefork server's workers, a test runner's children): fork copies only the
// thread that calls it. The threads backend's calls there ran in a oneTBB
// arena whose workers the copy still counted (in 2 children of 138 the
// first call waited for good), an offload's job went to an arena no worker
// would ever join, and a name lookup to the parent's lookup threads: both
// never ended; the parent's io::runtime, used there, never ran a task. Each
// case forks this process once its threads run; the
// child reports what went wrong through a pipe, and one that does not end
// in time is killed.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <switchyard/io.hpp>
#include <switchyard/switchyard.hpp>

#include "core/src/dispatch/fingerprint.hpp"
#include "core/src/dispatch/profile_store.hpp"
#include "core/src/engine_state.hpp"
#include "core/src/log_sink.hpp"
#include "core/src/set_up_once.hpp"
#include "core/src/shared_regions.hpp"
#include "support/in_a_child.hpp"
#include "support/profile_cache.hpp"

namespace {

namespace sy = switchyard;
namespace io = switchyard::io;
namespace dp = switchyard::detail::dispatch;
using sy::test::captured_warnings;
using sy::test::in_a_child;

/// 4 MiB of floats: 16 chunks, so a threads call runs on the arena's workers.
const std::vector<float>& input() {
  static const std::vector<float> v(1 << 20, 1.0f);
  return v;
}

/// `calls` threads sums of `e`, each checked; and a transform_reduce whose
/// callable notes the threads it ran on. What went wrong, or empty.
std::string threads_calls(sy::engine& e, int calls, std::vector<pid_t>& ran_on) {
  for (int i = 0; i < calls; ++i) {
    const float s = sy::sum(input(), {.backend = sy::backend::threads, .engine = &e});
    if (s != float(input().size())) return "call " + std::to_string(i) + " summed " + std::to_string(s);
  }
  std::mutex m;
  const double n = sy::transform_reduce(
      input(), 0.0, std::plus<>{},
      [&](float x) {
        const pid_t t = gettid();
        std::lock_guard lock(m);
        if (std::find(ran_on.begin(), ran_on.end(), t) == ran_on.end()) ran_on.push_back(t);
        return double(x);
      },
      {.backend = sy::backend::threads, .engine = &e});
  return n == double(input().size()) ? "" : "transform_reduce gave " + std::to_string(n);
}

TEST(Fork, AChildsThreadsCallsRunOnItsCallingThreadAndSaySoOnce) {
  sy::engine e({.max_threads = 2});
  std::vector<pid_t> parent_threads;
  ASSERT_EQ(threads_calls(e, 3, parent_threads), "");  // the workers run

  const std::string wrong = in_a_child(
      [&]() -> std::string {
        captured_warnings warnings;
        std::vector<pid_t> ran_on;
        if (std::string w = threads_calls(e, 200, ran_on); !w.empty()) return w;
        sy::engine made_here({.max_threads = 2});  // oneTBB's state is the parent's for a new engine too
        if (std::string w = threads_calls(made_here, 20, ran_on); !w.empty()) return w;
        if (ran_on != std::vector<pid_t>{gettid()}) return "the chunks ran on " + std::to_string(ran_on.size()) + " threads";
        const auto lines = warnings.lines();
        const auto says = std::count_if(lines.begin(), lines.end(),
                                        [](const std::string& l) { return l.find("forked") != std::string::npos; });
        if (says != 1) return "the warning was logged " + std::to_string(says) + " times, not once";
        return "";
      },
      std::chrono::seconds(60));
  EXPECT_EQ(wrong, "");
  // The parent's workers are untouched by the child's calls.
  std::vector<pid_t> after;
  EXPECT_EQ(threads_calls(e, 3, after), "");
}

/// A name looked up and a job offloaded, on a runtime of one context.
sy::task<std::string> look_up_and_offload(io::context& ctx) {
  const std::vector<io::endpoint> found = co_await io::resolve(ctx, "localhost", 80);
  if (found.empty()) co_return "localhost resolved to nothing";
  const int answer = co_await io::offload(ctx, [] { return 6 * 7; });
  co_return answer == 42 ? "" : "the offloaded job returned " + std::to_string(answer);
}

std::string on_a_runtime() {
  io::runtime rt(1);
  return rt.run(look_up_and_offload(rt.at(0)));
}

TEST(Fork, AnOffloadAndANameLookupEndInAChildAndInItsChild) {
  ASSERT_EQ(on_a_runtime(), "");  // the lookup threads and the offload's workers run
  const std::string wrong = in_a_child(
      [] {
        if (std::string w = on_a_runtime(); !w.empty()) return w;
        // The child's own pools (its lookup threads, its offload threads) are
        // a parent's in turn.
        if (std::string w = in_a_child(on_a_runtime, std::chrono::seconds(20)); !w.empty()) return "in its child: " + w;
        return std::string();
      },
      std::chrono::seconds(40));
  EXPECT_EQ(wrong, "");
  EXPECT_EQ(on_a_runtime(), "");
}

sy::task<int> nap(io::context& ctx) {
  co_await io::sleep_for(ctx, std::chrono::microseconds(100));
  co_return 1;
}

/// What is wrong with `e` as the error of a context or runtime used in a
/// child, or empty.
std::string not_the_fork_error(const sy::error& e) {
  if (e.code() != sy::errc::invalid_argument) return std::string("the error's code is not invalid_argument: ") + e.what();
  if (std::string(e.what()).find("fork") == std::string::npos) return std::string("the error does not say why: ") + e.what();
  return "";
}

TEST(Fork, AParentsRuntimeIsAClearErrorInAChildAndLetsGoThere) {
  auto rt = std::make_unique<io::runtime>(1);
  ASSERT_EQ(rt->run(look_up_and_offload(rt->at(0))), "");
  const std::string wrong = in_a_child(
      [&]() -> std::string {
        try {
          (void)rt->run(look_up_and_offload(rt->at(0)));
          return "a task ran on the parent's runtime";
        } catch (const sy::error& e) {
          if (std::string w = not_the_fork_error(e); !w.empty()) return w;
        }
        rt.reset();  // the child's copy; the parent's threads and rings are not its to stop
        return on_a_runtime();
      },
      std::chrono::seconds(20));
  EXPECT_EQ(wrong, "");
  for (int i = 0; i < 100; ++i) ASSERT_EQ(rt->run(look_up_and_offload(rt->at(0))), "") << "task " << i;
}

// A context made before the fork, with a task spawned and a sleep in flight
// across it: the child's copy ran its teardown on the loop the two shared,
// cancelling and reaping the parent's requests, and the parent's context then
// waited for good as it ended. Each side runs in a process of its own here,
// so a hang in either fails the case.
TEST(Fork, AContextMadeBeforeTheForkIsTheParentsAlone) {
  for (const char* backend : {"uring", "fallback"}) {
    const std::string wrong = in_a_child(
        [backend]() -> std::string {
          setenv("SWITCHYARD_IO_BACKEND", backend, 1);
          auto ctx = std::make_unique<io::context>();
          ctx->spawn([](io::context& c) -> sy::task<void> { co_await io::sleep_for(c, std::chrono::seconds(100)); }(*ctx));
          if (ctx->run(nap(*ctx)) != 1) return "the parent's nap";
          const std::string in_child = in_a_child(
              [&]() -> std::string {
                try {
                  (void)ctx->run(nap(*ctx));
                  return "a task ran on the parent's context";
                } catch (const sy::error& e) {
                  if (std::string w = not_the_fork_error(e); !w.empty()) return w;
                }
                ctx.reset();  // the child's copy
                return "";
              },
              std::chrono::seconds(20));
          if (!in_child.empty()) return "in its child: " + in_child;
          int naps = 0;
          for (int i = 0; i < 200; ++i) naps += ctx->run(nap(*ctx));
          if (naps != 200) return "the parent napped " + std::to_string(naps) + " times of 200";
          ctx.reset();  // cancels the spawned sleep and drains
          return "";
        },
        std::chrono::seconds(40));
    EXPECT_EQ(wrong, "") << backend;
  }
}

// A set-up another thread was running at the fork (the dispatcher's first
// load, which may calibrate for seconds; a backend's probe): the child has
// no such thread, so its first caller runs the set-up itself, as glibc's
// pthread_once does. Its mutex, copied held, kept the child waiting for good.
TEST(Fork, ASetUpAnotherThreadWasRunningAtTheForkRunsAgainInTheChild) {
  sy::detail::set_up_once once;
  std::atomic<int> stage{0};
  std::thread runner([&] {
    once.run([&] {
      stage = 1;
      while (stage.load() != 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  });
  while (stage.load() != 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string wrong = in_a_child(
      [&] {
        int runs = 0;
        once.run([&] { ++runs; });
        once.run([&] { ++runs; });
        return runs == 1 ? std::string() : "the set-up ran " + std::to_string(runs) + " times in the child";
      },
      std::chrono::seconds(10));
  stage = 2;
  runner.join();
  EXPECT_EQ(wrong, "");
  bool again = false;
  once.run([&] { again = true; });
  EXPECT_FALSE(again) << "the parent's set-up, done, ran again";
}

// The same through the dispatcher: a program's first automatic call,
// setting up on another thread at the fork (a prefork server whose first
// request came in as it forked). The test holds the profile's lock, so
// that call waits inside its set-up until the fork is made; the child then
// sets up for itself (it waits for the lock, as any other program would).
TEST(Fork, AChildForkedWhileTheFirstAutomaticCallSetsUpSetsUpForItself) {
  const auto dir = sy::test::fresh_cache("fork-setting-up");
  const sy::test::scoped_env cache("XDG_CACHE_HOME", dir.string());
  sy::engine e({.max_threads = 2});
  auto held = std::make_unique<dp::profile_lock>(dp::profile_path(dp::fingerprint_here(e.state())), 0.0);
  std::thread first([&] { (void)sy::sum(input(), {.engine = &e}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // into its set-up, waiting for the lock
  const std::string wrong = in_a_child(
      [&] {
        // The lock is the open file description's, which the child shares:
        // let go here, it lets the parent's call go on too.
        held.reset();
        const float s = sy::sum(input(), {.engine = &e});
        return s == float(input().size()) ? std::string() : "summed " + std::to_string(s);
      },
      std::chrono::seconds(40));
  held.reset();
  first.join();
  EXPECT_EQ(wrong, "");
  std::filesystem::remove_all(dir);
}

// The program's log handler, which the library calls one call at a time,
// under a lock: a child forked while another thread was in it waited for
// good at its first message (a warning; with decision lines on, its first
// automatic call).
TEST(Fork, AChildForkedWhileAnotherThreadLogsLogs) {
  std::atomic<int> stage{0};
  std::atomic<int> lines{0};
  sy::set_log_handler([&](sy::log_level, std::string_view message) {
    if (message == "held") {
      stage = 1;
      while (stage.load() != 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ++lines;
  });
  std::thread logging([] { sy::detail::log_line(sy::log_level::warning, "held"); });
  while (stage.load() != 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string wrong = in_a_child(
      [&] {
        sy::detail::log_line(sy::log_level::warning, "in the child");
        sy::set_log_decisions(true);
        (void)sy::sum(input());
        sy::set_log_handler({});
        return lines.load() >= 2 ? std::string() : std::to_string(lines.load()) + " lines reached the handler";
      },
      std::chrono::seconds(10));
  stage = 2;
  logging.join();
  sy::set_log_handler({});
  EXPECT_EQ(wrong, "");
}

// A shared_array freed tells the region listeners (each processes pool)
// under the listeners' lock, and a listener may wait there for its pool's
// lock, which a fork's prepare handler takes: a child forked meanwhile
// found the listeners' lock held, and its first shared_array to go, or its
// first pool, waited for good. Here a listener of the test's own waits
// inside, as a pool's would.
TEST(Fork, AChildForkedWhileAnotherThreadToldTheRegionListenersFreesItsOwn) {
  struct slow_listener final : sy::detail::region_listener {
    std::atomic<bool> wait_once{true};
    std::atomic<int> stage{0};
    void forget(std::uint64_t) noexcept override {
      if (!wait_once.exchange(false)) return;
      stage = 1;
      while (stage.load() != 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } listener;
  sy::detail::add_region_listener(&listener);
  std::thread freeing([] { sy::shared_array<float> gone(1024); });
  while (listener.stage.load() != 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string wrong = in_a_child(
      [] {
        { sy::shared_array<float> mine(1024); }
        const sy::shared_array<float> kept(std::vector<float>(4096, 1.0f));
        const float s = sy::sum(kept, {.backend = sy::backend::processes});
        return s == 4096.0f ? std::string() : "summed " + std::to_string(s);
      },
      std::chrono::seconds(20));
  listener.stage = 2;
  freeing.join();
  sy::detail::remove_region_listener(&listener);
  EXPECT_EQ(wrong, "");
}

}  // namespace
