// Out of memory where no one can be told: a thread of the compute side, of
// the lookups or of the fallback's file calls hands a result back to the
// loop, and no allocation of its own may stand in the way (one that failed
// there threw on a thread with no one to catch it: the program ended). The
// test's operator new makes every other thread's allocations fail while
// the loop's thread waits. Run on each io::context backend.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/io.hpp>

#include "io/io_support.hpp"
#include "io/stop_without_memory.hpp"
#include "support/failing_allocations.hpp"

namespace io = switchyard::io;
using namespace std::chrono_literals;
using switchyard::task;
using switchyard::testing::numbered_call;
using switchyard::testing::only_this_thread_allocates;
using switchyard::testing::stop_without_memory;

namespace {

class OutOfMemory : public switchyard::testing::Io {};

TEST_F(OutOfMemory, AnOffloadedResultComesBackWhileOtherThreadsCannotAllocate) {
  io::context ctx;
  auto body = [&]() -> task<int> {
    int sum = co_await io::offload(ctx, [] { return 1; });  // the compute side's threads started
    {
      const only_this_thread_allocates others_cannot;
      sum += co_await io::offload(ctx, [] { return 20; });
    }
    sum += co_await io::offload(ctx, [] { return std::vector<int>(1000, 3).back() * 100; });
    co_return sum;
  };
  EXPECT_EQ(ctx.run(body()), 321);
}

// The lookup's own list of addresses cannot be made: the waiter hears
// getaddrinfo's EAI_MEMORY, and the next lookup works.
TEST_F(OutOfMemory, ALookupThatCannotKeepItsAddressesIsThatError) {
  io::context ctx;
  auto body = [&]() -> task<void> {
    (void)co_await io::resolve(ctx, "localhost", 80);  // the lookup threads started
    try {
      const only_this_thread_allocates others_cannot;
      const std::vector<io::endpoint> found = co_await io::resolve(ctx, "localhost", 80);
      ADD_FAILURE() << "resolved to " << found.size() << " addresses with no memory to keep them";
    } catch (const io::resolve_error& e) {
      EXPECT_EQ(e.code().value(), EAI_MEMORY) << e.what();
    }
    EXPECT_FALSE((co_await io::resolve(ctx, "localhost", 80)).empty());
  };
  ctx.run(body());
}

// On the fallback backend a file call runs on a thread of its pool.
TEST_F(OutOfMemory, AFileReadComesBackWhileOtherThreadsCannotAllocate) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("switchyard-oom-" + std::to_string(::getpid()));
  const std::string text = "read back while the other threads have no memory";
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  io::context ctx;
  auto body = [&]() -> task<std::string> {
    io::file f = co_await io::file::open(ctx, path.string(), O_RDONLY);
    std::string got(text.size(), '\0');
    {
      const only_this_thread_allocates others_cannot;
      const std::size_t n = co_await f.read_at(std::as_writable_bytes(std::span(got)), 0);
      got.resize(n);
    }
    co_await f.close();
    co_return got;
  };
  EXPECT_EQ(ctx.run(body()), text);
  std::filesystem::remove(path);
}

// A posted call that throws ends the loop's run with its exception; the
// calls posted after it stay queued and run on the next.
TEST_F(OutOfMemory, APostedCallThatThrowsLeavesTheRestQueued) {
  io::context ctx;
  std::vector<int> ran;
  numbered_call one(ran, 1);
  numbered_call two(ran, 2, [] { throw std::runtime_error("a posted call's failure"); });
  numbered_call three(ran, 3);
  for (numbered_call* c : {&one, &two, &three}) ctx.loop().post(*c);
  auto nothing = []() -> task<void> { co_return; };
  EXPECT_THROW(ctx.run(nothing()), std::runtime_error);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  ctx.run(nothing());
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

// A stop asked for on another thread reaches its wait while nothing can be
// allocated. It was posted in a node allocated for it, which a full heap
// lost: the wait went on for good.
TEST_F(OutOfMemory, AStopFromAThreadThatCannotAllocateEndsASleep) {
  io::context ctx;
  auto sleep = [&]() -> task<void> { co_await io::sleep_for(ctx, 6s); };
  EXPECT_EQ(stop_without_memory(ctx, sleep(), [] {}), "cancelled");
}

TEST_F(OutOfMemory, AStopFromAThreadThatCannotAllocateEndsALimitersWait) {
  io::context ctx;
  io::limiter one(ctx, 1);
  std::optional<io::limiter::permit> held;
  auto second = [&]() -> task<void> {
    held = co_await one.acquire();
    (void)co_await one.acquire();
  };
  EXPECT_EQ(stop_without_memory(ctx, second(), [&] { held.reset(); }), "cancelled");
  held.reset();
  EXPECT_EQ(one.available(), 1u);
}

TEST_F(OutOfMemory, AStopFromAThreadThatCannotAllocateEndsAnEventsWait) {
  io::context ctx;
  io::event never(ctx);
  auto wait = [&]() -> task<void> { co_await never.wait(); };
  EXPECT_EQ(stop_without_memory(ctx, wait(), [&] { never.set(); }), "cancelled");
}

// A spawned task that ends on another context of a runtime goes home to
// be counted out on its own context's thread. Its way home was a posted
// function, allocated then: out of memory there, the keeper threw instead
// of going home, and the runtime's stop() waited for it for good.
TEST_F(OutOfMemory, ASpawnedTaskEndingOnAnotherContextGoesHomeWithNoMemory) {
  // Left, should the test fail: a runtime that waits for good cannot go.
  auto* const rt = new io::runtime(2);
  std::atomic<int> stage{0};
  auto away = [&]() -> task<void> {
    co_await rt->switch_to(1);
    stage = 1;
    // Context 1's thread, until no thread but the test's can allocate.
    while (stage.load() != 2) std::this_thread::sleep_for(1ms);
  };
  rt->spawn_on(0, away());
  while (stage.load() != 1) std::this_thread::sleep_for(1ms);
  {
    const only_this_thread_allocates others_cannot;
    stage = 2;
    std::this_thread::sleep_for(100ms);  // the task ends; its keeper goes home to context 0
  }
  const auto stopped = std::make_shared<std::atomic<bool>>(false);
  std::thread([rt, stopped] {
    rt->stop();  // returns once every spawned task is counted out
    *stopped = true;
  }).detach();
  for (int i = 0; i < 2000 && !*stopped; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(*stopped) << "after 20 s, the runtime's stop() still waited for a task that never got home";
  delete rt;
}

}  // namespace
