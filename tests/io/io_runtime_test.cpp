// io::runtime on each backend: tasks on several contexts and threads, where
// those threads may run, hops,
// when_all and when_any across contexts, offload from each context,
// listeners sharing a port, and a
// runtime stopped with thousands of operations in flight.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/io.hpp>

#include "io/io_support.hpp"

namespace io = switchyard::io;
using switchyard::task;
using switchyard::testing::Io;
using namespace std::chrono_literals;

namespace {

/// Where a task runs: its context and its thread.
struct place {
  io::context* ctx;
  std::thread::id thread;
};

task<place> where_am_i() { co_return place{io::runtime::current(), std::this_thread::get_id()}; }

TEST_F(Io, ARuntimeHasAContextPerCoreEachOnItsOwnThread) {
  io::runtime cores;
  EXPECT_GE(cores.size(), 1u);
  io::runtime rt(3);
  ASSERT_EQ(rt.size(), 3u);
  EXPECT_EQ(io::runtime::current(), nullptr) << "the test's thread is none of them";
  auto all = [&]() -> task<std::vector<place>> {
    std::vector<task<place>> each;
    for (std::size_t i = 0; i < rt.size(); ++i) each.push_back(rt.on(i, where_am_i()));
    co_return co_await io::when_all(std::move(each));
  };
  const std::vector<place> seen = rt.run(all());
  std::set<std::thread::id> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].ctx, &rt.at(i));
    EXPECT_EQ(rt.index_of(*seen[i].ctx), i);
    threads.insert(seen[i].thread);
  }
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_NE(threads.count(std::this_thread::get_id()), 1u);
  EXPECT_THROW(rt.at(3), switchyard::error);
}

/// The CPUs the calling thread may run on, in order.
std::vector<int> cpus_of_this_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(::pthread_getaffinity_np(::pthread_self(), sizeof set, &set), 0);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

/// Each context's thread's CPUs, in the contexts' order.
std::vector<std::vector<int>> cpus_of_each_context(io::runtime& rt) {
  auto here = []() -> task<std::vector<int>> { co_return cpus_of_this_thread(); };
  auto all = [&]() -> task<std::vector<std::vector<int>>> {
    std::vector<task<std::vector<int>>> each;
    for (std::size_t i = 0; i < rt.size(); ++i) each.push_back(rt.on(i, here()));
    co_return co_await io::when_all(std::move(each));
  };
  return rt.run(all());
}

TEST_F(Io, ARuntimesThreadsRunWhereTheOsPutsThemUnlessEachIsGivenACore) {
  const std::vector<int> process = cpus_of_this_thread();
  ASSERT_FALSE(process.empty());
  io::runtime placed_by_os(2);
  for (const std::vector<int>& cpus : cpus_of_each_context(placed_by_os)) {
    EXPECT_EQ(cpus, process) << "any_core (the default) leaves a context's thread every CPU the process has";
  }
  const std::size_t contexts = std::min<std::size_t>(process.size(), 4);
  io::runtime pinned(contexts, io::placement::own_core);
  const std::vector<std::vector<int>> seen = cpus_of_each_context(pinned);
  ASSERT_EQ(seen.size(), contexts);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], std::vector<int>{process[i]}) << "own_core pins context " << i << " to the process's CPU " << i;
  }
}

TEST_F(Io, SwitchToMovesACoroutineAndOnBringsItBack) {
  io::runtime rt(2);
  auto hops = [&]() -> task<int> {
    io::context* home = io::runtime::current();
    for (int i = 0; i < 1000; ++i) {
      co_await rt.switch_to(static_cast<std::size_t>(i % 2));
      if (io::runtime::current() != &rt.at(static_cast<std::size_t>(i % 2))) co_return -1;
    }
    co_await rt.switch_to(rt.index_of(*home));
    const std::size_t other = home == &rt.at(0) ? 1 : 0;
    const place there = co_await rt.on(other, where_am_i());
    if (there.ctx != &rt.at(other)) co_return -2;
    if (io::runtime::current() != home) co_return -3;
    co_return 1000;
  };
  EXPECT_EQ(rt.run(hops()), 1000);
}

TEST_F(Io, HopsUnderLoadLandWhereTheyWereSent) {
  io::runtime rt(2);
  std::atomic<int> wrong{0}, done{0};
  auto hopper = [&](int id) -> task<void> {
    const std::size_t home = rt.index_of(*io::runtime::current());
    for (int i = 0; i < 200; ++i) {
      const std::size_t to = static_cast<std::size_t>((id + i) % 2);
      co_await rt.switch_to(to);
      if (io::runtime::current() != &rt.at(to)) ++wrong;
      if (i % 50 == 0) co_await io::sleep_for(*io::runtime::current(), 100us);
    }
    ++done;
    co_await rt.switch_to(home);  // when_all resumes its awaiter where a child ends
  };
  std::vector<task<void>> hoppers;
  for (int id = 0; id < 100; ++id) hoppers.push_back(hopper(id));
  auto all = [&]() -> task<void> { co_await io::when_all(std::move(hoppers)); };
  rt.run(all());
  EXPECT_EQ(done.load(), 100);
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(Io, WhenAllAcrossContextsCancelsTheOthersWhenOneFails) {
  io::runtime rt(2);
  std::atomic<int> cancelled{0};
  auto long_sleep = [&]() -> task<int> {
    try {
      co_await io::sleep_for(*io::runtime::current(), 60s);
    } catch (const io::cancelled_error&) {
      ++cancelled;
      throw;
    }
    co_return 0;
  };
  auto fail_soon = [&]() -> task<int> {
    co_await io::sleep_for(*io::runtime::current(), 10ms);
    throw std::runtime_error("the one that fails");
  };
  auto both = [&]() -> task<int> {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      co_await io::when_all(rt.on(0, long_sleep()), rt.on(1, fail_soon()), rt.on(1, long_sleep()));
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "the one that fails");
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
    co_return 0;
  };
  rt.run(both());
  EXPECT_EQ(cancelled.load(), 2) << "the sleepers on both contexts were cancelled and awaited";
}

// when_any across contexts: the first to end wins, the loser on the other
// context is cancelled and awaited; offload from each context resumes on it.
TEST_F(Io, WhenAnyAcrossContextsAndOffloadFromEachContext) {
  io::runtime rt(2);
  std::atomic<int> cancelled{0};
  auto sleeper = [&](std::chrono::milliseconds d, int value) -> task<int> {
    try {
      co_await io::sleep_for(*io::runtime::current(), d);
    } catch (const io::cancelled_error&) {
      ++cancelled;
      throw;
    }
    co_return value;
  };
  auto race = [&]() -> task<std::size_t> {
    std::vector<task<int>> racers;
    racers.push_back(rt.on(0, sleeper(60s, 1)));
    racers.push_back(rt.on(1, sleeper(5ms, 2)));
    const auto [index, value] = co_await io::when_any(std::move(racers));
    EXPECT_EQ(value, 2);
    co_return index;
  };
  EXPECT_EQ(rt.run(race()), 1u);
  EXPECT_EQ(cancelled.load(), 1) << "the loser on context 0 was cancelled and awaited";

  auto offload_here = [&]() -> task<bool> {
    io::context* here = io::runtime::current();
    const std::thread::id loop_thread = std::this_thread::get_id();
    const std::thread::id worker = co_await io::offload(*here, [] { return std::this_thread::get_id(); });
    const bool back_here = io::runtime::current() == here && std::this_thread::get_id() == loop_thread;
    co_return worker != loop_thread && back_here;
  };
  auto both = [&]() -> task<int> {
    auto [a, b] = co_await io::when_all(rt.on(0, offload_here()), rt.on(1, offload_here()));
    co_return int(a) + int(b);
  };
  EXPECT_EQ(rt.run(both()), 2) << "each offload ran off its loop and resumed on its own context";
}

TEST_F(Io, RunFromOutsideGivesTheValueOrTheErrorAndSpawnFromOutsideRuns) {
  io::runtime rt(2);
  auto value = []() -> task<int> { co_return 42; };
  EXPECT_EQ(rt.run(value()), 42);
  auto failing = []() -> task<int> { throw std::logic_error("no"); co_return 0; };
  EXPECT_THROW(rt.run(failing()), std::logic_error);
  std::atomic<int> ran{0};
  auto bump = [&]() -> task<void> {
    ++ran;
    co_return;
  };
  for (int i = 0; i < 10; ++i) rt.spawn(bump());
  for (int i = 0; i < 500 && ran.load() < 10; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(ran.load(), 10);
  EXPECT_THROW(rt.spawn(task<void>{}), switchyard::error);
  // on() needs a context to come back to: not from a plain context's task.
  io::context plain;
  EXPECT_THROW(plain.run(rt.on(0, value())), switchyard::error);
}

TEST_F(Io, AListenerPerContextSharesThePortAndEachTakesConnections) {
  io::runtime rt(2);
  // Made on this thread; each then belongs to its context's acceptor task,
  // and goes with it (a socket must not outlive its context).
  io::socket first = io::socket::listen(rt.at(0), "127.0.0.1", 0, 512, true);
  const std::uint16_t port = first.local_port();
  io::socket second = io::socket::listen(rt.at(1), "127.0.0.1", port, 512, true);
  std::atomic<int> accepted[2] = {0, 0};
  auto acceptor = [&](std::size_t i, io::socket listener) -> task<void> {
    for (;;) {
      io::socket s = co_await listener.accept();
      ++accepted[i];
    }
  };
  rt.spawn_on(0, acceptor(0, std::move(first)));
  rt.spawn_on(1, acceptor(1, std::move(second)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 200; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ::close(fd);
  }
  for (int i = 0; i < 2000 && accepted[0] + accepted[1] < 200; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(accepted[0] + accepted[1], 200);
  EXPECT_GT(accepted[0].load(), 0) << "the kernel spreads connections over both listeners";
  EXPECT_GT(accepted[1].load(), 0);
}

TEST_F(Io, StoppingWithThousandsOfOperationsInFlightEndsThemAll) {
  std::atomic<int> cancelled{0};
  const auto t0 = std::chrono::steady_clock::now();
  {
    io::runtime rt(2);
    auto sleeper = [&]() -> task<void> {
      try {
        co_await io::sleep_for(*io::runtime::current(), 60s);
      } catch (const io::cancelled_error&) {
        ++cancelled;
      }
    };
    auto hopper = [&]() -> task<void> {
      // Cancelled mid-hop: it must still find its way to an end.
      for (;;) {
        co_await rt.switch_to(0);
        co_await rt.switch_to(1);
        co_await io::sleep_for(*io::runtime::current(), 1ms);
      }
    };
    std::vector<task<void>> sleepers;
    for (int i = 0; i < 4000; ++i) rt.spawn(sleeper());
    for (int i = 0; i < 20; ++i) rt.spawn(hopper());
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(cancelled.load(), 4000);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
}

}  // namespace
