// The I/O layer's timeouts and cancellation on each backend: a timeout ends
// an operation and reports the bytes done, the longest timeouts mean never,
// a cancelled operation ends at once and keeps its buffer until the kernel
// lets go, and a stop requested from another thread cancels that wait
// alone.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/io.hpp>

#include "io/io_support.hpp"

namespace io = switchyard::io;
using switchyard::task;
using switchyard::testing::bytes_of;
using switchyard::testing::Io;
using namespace std::chrono_literals;

namespace {

/// Accepts one connection, sends it `first`, then holds it open until the
/// peer closes it.
task<void> serve_one_and_hold(io::socket listener, std::string first) {
  io::socket peer = co_await listener.accept();
  if (!first.empty()) co_await peer.send_all(bytes_of(first));
  std::byte buf[1];
  (void)co_await peer.recv(buf);
}

TEST_F(Io, ATimeoutEndsAnOperationAndReportsTheBytesDone) {
  io::context ctx;
  io::socket listener = io::socket::listen(ctx);
  const std::uint16_t port = listener.local_port();
  ctx.spawn(serve_one_and_hold(std::move(listener), "12345"));
  auto client = [&]() -> task<void> {
    io::socket s = co_await io::socket::connect(ctx, "127.0.0.1", port);
    std::vector<std::byte> want(10);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      co_await s.recv_exact(want, 50ms);
      ADD_FAILURE() << "recv_exact got 10 bytes from a peer that sent 5";
    } catch (const io::timeout_error& e) {
      EXPECT_EQ(e.bytes_transferred(), 5u) << e.what();
      EXPECT_EQ(e.code(), std::errc::timed_out);
    }
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, 45ms);
    EXPECT_LT(waited, 2s);
  };
  ctx.run(client());
}

// nanoseconds::max() as a timeout or a sleep means "never": the fallback
// added it to now and wrapped into the past, so a sleep returned at once and
// a timed receive timed out at once (or hung in recv_exact).
TEST_F(Io, TheLongestTimeoutsMeanNeverNotAtOnce) {
  io::context ctx;
  io::socket listener = io::socket::listen(ctx);
  const std::uint16_t port = listener.local_port();
  ctx.spawn(serve_one_and_hold(std::move(listener), "1234567890"));
  constexpr auto never = std::chrono::nanoseconds::max();
  auto sleeps = [&](bool until) -> task<int> {
    if (until) {
      co_await io::sleep_until(ctx, std::chrono::steady_clock::time_point::max());
    } else {
      co_await io::sleep_for(ctx, never);
    }
    co_return 0;
  };
  auto short_nap = [&]() -> task<int> {
    co_await io::sleep_for(ctx, 20ms);
    co_return 1;
  };
  auto body = [&]() -> task<void> {
    for (int which = 0; which < 2; ++which) {
      std::vector<task<int>> race;
      race.push_back(sleeps(which == 1));
      race.push_back(short_nap());
      const auto [winner, value] = co_await io::when_any(std::move(race));
      EXPECT_EQ(winner, 1u) << (which == 0 ? "sleep_for(max)" : "sleep_until(time_point::max())") << " returned at once";
      EXPECT_EQ(value, 1);
    }
    // A time long past is now, not a wrapped future.
    const auto t0 = std::chrono::steady_clock::now();
    co_await io::sleep_until(ctx, std::chrono::steady_clock::time_point::min());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    // A receive bounded by "never" gets its bytes, one operation and a helper alike.
    io::socket s = co_await io::socket::connect(ctx, "127.0.0.1", port, never);
    std::vector<std::byte> five(5);
    co_await s.recv_exact(five, never);
    std::vector<std::byte> rest(16);
    const std::size_t n = co_await s.recv(rest, never);
    EXPECT_EQ(n, 5u);
  };
  ctx.run(body());
}

// open(2) of a FIFO that has no writer blocks in the kernel. On the fallback
// the open runs on a thread that cannot be interrupted, so when_any never
// returned: the cancelled open must end the awaiting task anyway, the context
// must be destroyable while the call still blocks, and the descriptor the
// call returns once a writer comes must not leak (the fixture checks).
// io_uring opens a FIFO without waiting for a writer (it tries O_NONBLOCK
// first and clears the flag after), so there the open may win the race.
TEST_F(Io, ACancelledOpenOfAFifoEndsAtOnceAndLeaksNothing) {
  char dir[] = "/tmp/switchyard-io-fifo-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  {
    io::context ctx;
    auto opens = [&]() -> task<int> {
      io::file f = co_await io::file::open(ctx, fifo, O_RDONLY);
      co_await f.close();
      co_return 0;
    };
    auto naps = [&]() -> task<int> {
      co_await io::sleep_for(ctx, 50ms);
      co_return 1;
    };
    auto body = [&]() -> task<void> {
      for (int round = 0; round < 6; ++round) {  // more than the fallback's 4 file threads
        std::vector<task<int>> race;
        race.push_back(opens());
        race.push_back(naps());
        const auto t0 = std::chrono::steady_clock::now();
        const auto [winner, value] = co_await io::when_any(std::move(race));
        if (ctx.backend_name() == "fallback") {
          EXPECT_EQ(winner, 1u) << "round " << round;
        }
        EXPECT_EQ(value, static_cast<int>(winner));
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << "round " << round;
      }
      // The file threads left are not all stuck: a regular file still opens.
      io::file f = co_await io::file::open(ctx, std::string(dir) + "/plain", O_WRONLY | O_CREAT);
      co_await f.close();
    };
    ctx.run(body());
  }  // destroyed while the opens may still block
  // A writer lets any open still blocked return; whatever it opened is closed.
  for (int i = 0; i < 6; ++i) {
    const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (w >= 0) ::close(w);
  }
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (!switchyard::testing::leaked_since(before_).empty() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(5ms);
  }
  ::unlink((std::string(dir) + "/plain").c_str());
  ::unlink(fifo.c_str());
  ::rmdir(dir);
}

TEST_F(Io, CancellingAReceiveKeepsItsBufferUntilItEndsAndOthersGetTheirOwnResults) {
  io::context ctx;
  io::socket listener = io::socket::listen(ctx);
  const std::uint16_t port = listener.local_port();
  ctx.spawn(serve_one_and_hold(std::move(listener), ""));
  char path[] = "/tmp/switchyard-io-internal-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string content(64 * 1024, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + i / 251);
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  // (Coroutine lambdas that capture must outlive their tasks: these are named.)
  auto receive_forever = [](io::socket& sock) -> task<int> {
    std::vector<std::byte> buf(512);
    (void)co_await sock.recv(buf);
    co_return -1;
  };
  auto read_and_check = [&](io::file& f, int at) -> task<int> {
    std::vector<std::byte> got(1024);
    co_await f.read_exact_at(got, static_cast<std::uint64_t>(at) * 1024);
    co_await io::sleep_for(ctx, std::chrono::microseconds(at * 10));
    const int from_offload = co_await io::offload(ctx, [at] { return at; });
    const bool same = std::memcmp(got.data(), content.data() + at * 1024, 1024) == 0 && from_offload == at;
    co_return same ? 0 : 1;
  };
  auto eight_reads = [&](io::file& f, int round) -> task<int> {
    std::vector<task<int>> reads;
    for (int k = 0; k < 8; ++k) reads.push_back(read_and_check(f, (round * 8 + k) % 64));
    const auto bad = co_await io::when_all(std::move(reads));
    co_return std::accumulate(bad.begin(), bad.end(), 0);
  };
  auto body = [&]() -> task<int> {
    io::socket s = co_await io::socket::connect(ctx, "127.0.0.1", port);
    io::file f = co_await io::file::open(ctx, path, O_RDONLY);
    int wrong = 0;
    for (int round = 0; round < 50; ++round) {
      // A receive that never completes, cancelled when the reads win; beside
      // it reads, timers, offload wake-ups and cancels, all in flight at once.
      std::vector<task<int>> race;
      race.push_back(receive_forever(s));
      race.push_back(eight_reads(f, round));
      const auto [winner, result] = co_await io::when_any(std::move(race));
      if (winner != 1) ++wrong;
      wrong += result;
    }
    co_await f.close();
    co_await s.close();
    co_return wrong;
  };
  EXPECT_EQ(ctx.run(body()), 0);
  ::unlink(path);
}

TEST_F(Io, AStopRequestedFromAnotherThreadCancelsAnOperation) {
  io::context ctx;
  std::stop_source stop;
  auto body = [&]() -> task<bool> {
    try {
      co_await io::sleep_for(ctx, 30s);
    } catch (const io::cancelled_error&) {
      co_return true;
    }
    co_return false;
  };
  auto guarded = [&]() -> task<bool> {
    auto t = body();
    t.handle().promise().stop = stop.get_token();
    co_return co_await std::move(t);
  };
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    stop.request_stop();
  });
  EXPECT_TRUE(ctx.run(guarded()));
  stopper.join();
}

// Half the rounds ask for their stop from another thread at a moment
// that races the sleep's own end; the other half never ask. A stop's node
// is withdrawn when its wait ends, so no round's stop reaches a later
// round's wait (which sits in a new frame, often at the same address), and
// under the sanitizers no node runs after its frame is gone.
TEST_F(Io, AStopRacingAWaitsOwnEndReachesThatWaitAlone) {
  io::context ctx;
  std::mt19937 random(13);
  int cancelled = 0;
  int cancelled_unasked = 0;
  for (int round = 0; round < 400; ++round) {
    const bool asks = round % 2 == 1;
    const auto length = asks ? 2ms : std::chrono::microseconds(random() % 200);
    const auto stop_after = std::chrono::microseconds(random() % 3000);
    std::stop_source stop;
    auto sleep = [&]() -> task<bool> {
      try {
        co_await io::sleep_for(ctx, length);
      } catch (const io::cancelled_error&) {
        co_return true;
      }
      co_return false;
    };
    task<bool> t = sleep();
    t.handle().promise().stop = stop.get_token();
    std::thread stopper;
    if (asks) {
      stopper = std::thread([&] {
        std::this_thread::sleep_for(stop_after);
        stop.request_stop();
      });
    }
    const bool was_cancelled = ctx.run(std::move(t));
    if (stopper.joinable()) stopper.join();
    cancelled += was_cancelled;
    if (was_cancelled && !asks) ++cancelled_unasked;
  }
  EXPECT_EQ(cancelled_unasked, 0) << "an earlier round's stop cancelled a round that asked for none";
  EXPECT_GT(cancelled, 0) << "no stop arrived before its 2 ms sleep ended: the race was not run";
}

}  // namespace
