// Sockets by name and over IPv6: resolve(), listen on literals and names,
// and Happy Eyeballs (RFC 8305) across several addresses, on each backend.
#include <gtest/gtest.h>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <switchyard/io.hpp>

#include "io/io_support.hpp"

namespace io = switchyard::io;
using switchyard::task;
using switchyard::testing::bytes_of;
using switchyard::testing::Io;
using switchyard::testing::refusing_port;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

/// Accepts one connection and sends it `word`.
task<void> greet_one(io::socket& listener, std::string word) {
  io::socket peer = co_await listener.accept();
  co_await peer.send_all(bytes_of(word));
}

/// Connects to host:port and reads what the server sends (up to 16 bytes).
task<std::string> hear_from(io::context& ctx, std::string host, std::uint16_t port) {
  io::socket s = co_await io::socket::connect(ctx, std::move(host), port, 5s);
  char buf[16];
  const std::size_t n = co_await s.recv(std::as_writable_bytes(std::span(buf)));
  co_return std::string(buf, n);
}

/// A listener whose accept queue is full: a connect to it gets no answer
/// (its SYN is dropped), the way a blackholed address behaves.
struct blackhole {
  explicit blackhole(io::context& ctx) : listener(io::socket::listen(ctx, "127.0.0.1", 0, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(listener.local_port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 3; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      (void)::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
      fillers.push_back(fd);
    }
  }
  ~blackhole() {
    for (int fd : fillers) ::close(fd);
  }
  io::endpoint at() { return *io::endpoint::parse("127.0.0.1", listener.local_port()); }
  io::socket listener;
  std::vector<int> fillers;
};

std::uint16_t peer_port(const io::socket& s) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getpeername(s.native_handle(), reinterpret_cast<sockaddr*>(&a), &len);
  return io::endpoint(reinterpret_cast<const sockaddr*>(&a), len).port();
}

TEST(Endpoint, ParsesLiteralsAndRejectsNames) {
  EXPECT_EQ(io::endpoint::parse("127.0.0.1", 80)->to_string(), "127.0.0.1:80");
  EXPECT_EQ(io::endpoint::parse("::1", 443)->to_string(), "[::1]:443");
  EXPECT_EQ(io::endpoint::parse("[::1]", 8)->family(), AF_INET6);
  EXPECT_EQ(io::endpoint::parse("[::1]", 8)->port(), 8);
  EXPECT_FALSE(io::endpoint::parse("localhost", 80));
  EXPECT_FALSE(io::endpoint::parse("1.2.3", 80));
  EXPECT_FALSE(io::endpoint::parse("", 80));
}

TEST_F(Io, ConnectsByNameAndOverIpv6AndIpv4) {
  io::context ctx;
  io::socket v4 = io::socket::listen(ctx, "127.0.0.1");
  io::socket v6 = io::socket::listen(ctx, "::1");
  auto run = [&]() -> task<void> {
    auto [a, heard_a] = co_await io::when_all(greet_one(v4, "four"), hear_from(ctx, "127.0.0.1", v4.local_port()));
    EXPECT_EQ(heard_a, "four");
    auto [b, heard_b] = co_await io::when_all(greet_one(v6, "six"), hear_from(ctx, "::1", v6.local_port()));
    EXPECT_EQ(heard_b, "six");
    auto [c, heard_c] = co_await io::when_all(greet_one(v6, "bracketed"), hear_from(ctx, "[::1]", v6.local_port()));
    EXPECT_EQ(heard_c, "bracketed");
    // localhost is 127.0.0.1 here (and ::1 too where /etc/hosts says so):
    // a dual-stack listener answers on either.
    io::socket any = io::socket::listen(ctx, "::");
    auto [d, heard_d] = co_await io::when_all(greet_one(any, "named"), hear_from(ctx, "localhost", any.local_port()));
    EXPECT_EQ(heard_d, "named");
    auto [e, heard_e] = co_await io::when_all(greet_one(any, "dual"), hear_from(ctx, "127.0.0.1", any.local_port()));
    EXPECT_EQ(heard_e, "dual") << "a listener on :: takes IPv4 connections too";
  };
  ctx.run(run());
}

TEST_F(Io, ResolveGivesEveryAddressOfANameAndListensOnOne) {
  io::context ctx;
  const std::vector<io::endpoint> found = ctx.run(io::resolve(ctx, "localhost", 8080));
  ASSERT_FALSE(found.empty());
  for (const io::endpoint& e : found) {
    EXPECT_EQ(e.port(), 8080);
    EXPECT_TRUE(e.to_string() == "127.0.0.1:8080" || e.to_string() == "[::1]:8080") << e.to_string();
  }
  io::socket named = io::socket::listen(ctx, "localhost");
  io::socket wildcard = io::socket::listen(ctx, "0.0.0.0");
  EXPECT_NE(named.local_port(), 0);
  EXPECT_NE(wildcard.local_port(), 0);
  EXPECT_EQ(ctx.run(io::resolve(ctx, "::1", 1)).front().to_string(), "[::1]:1") << "a literal needs no lookup";
}

TEST_F(Io, ANameThatDoesNotResolveIsAResolveErrorNamingIt) {
  io::context ctx;
  try {
    ctx.run(io::socket::connect(ctx, "no-such-host.invalid", 80, 10s));
    ADD_FAILURE() << "connected to a name that does not exist";
  } catch (const io::resolve_error& e) {
    EXPECT_EQ(e.code().category(), io::resolve_category());
    // No such name, or no resolver to ask (a machine without DNS).
    EXPECT_TRUE(e.code().value() == EAI_NONAME || e.code().value() == EAI_AGAIN) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-host.invalid"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ctx.run(io::resolve(ctx, "", 80)), io::resolve_error);
  EXPECT_THROW((void)io::socket::listen(ctx, "no-such-host.invalid"), io::resolve_error);
}

TEST_F(Io, WhenEveryAddressRefusesTheErrorNamesTheHostAndEachAddress) {
  io::context ctx;
  const refusing_port refusing;
  const std::uint16_t port = refusing.port();
  const std::vector<io::endpoint> both{*io::endpoint::parse("::1", port), *io::endpoint::parse("127.0.0.1", port)};
  try {
    ctx.run(io::socket::connect(ctx, both, 5s, "example:" + std::to_string(port)));
    ADD_FAILURE() << "connected to a closed port";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::connection_refused) << e.what();
    const std::string what = e.what();
    EXPECT_NE(what.find("example:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find("[::1]:" + std::to_string(port) + ": Connection refused"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(port) + ": Connection refused"), std::string::npos) << what;
  }
}

TEST_F(Io, HappyEyeballsTriesTheNextAddressAfterTheDelayWhenTheFirstHangs) {
  io::context ctx;
  blackhole hole(ctx);
  io::socket working = io::socket::listen(ctx, "::1");
  const auto t0 = clock_type::now();
  io::socket s = ctx.run(io::socket::connect(ctx, {hole.at(), *io::endpoint::parse("::1", working.local_port())}, 10s));
  const auto took = clock_type::now() - t0;
  EXPECT_EQ(peer_port(s), working.local_port()) << "the second address answered";
  EXPECT_GE(took, io::connection_attempt_delay) << "the first attempt had its delay";
  EXPECT_LT(took, io::connection_attempt_delay + 2s) << "the second attempt started after the delay, not later";
}

TEST_F(Io, HappyEyeballsStartsTheNextAttemptAtOnceWhenOneFails) {
  io::context ctx;
  io::socket working = io::socket::listen(ctx, "127.0.0.1");
  const refusing_port refusing;
  const std::vector<io::endpoint> to{*io::endpoint::parse("::1", refusing.port()),
                                     *io::endpoint::parse("127.0.0.1", working.local_port())};
  const auto t0 = clock_type::now();
  io::socket s = ctx.run(io::socket::connect(ctx, to, 10s));
  EXPECT_LT(clock_type::now() - t0, io::connection_attempt_delay) << "a refusal does not wait for the delay";
  EXPECT_EQ(peer_port(s), working.local_port());
}

TEST_F(Io, ATimeoutOverEveryAddressIsATimeoutErrorListingThem) {
  io::context ctx;
  blackhole a(ctx), b(ctx);
  try {
    ctx.run(io::socket::connect(ctx, {a.at(), b.at()}, 600ms));
    ADD_FAILURE() << "connected to a blackhole";
  } catch (const io::timeout_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(a.at().to_string() + ": timed out"), std::string::npos) << what;
    EXPECT_NE(what.find(b.at().to_string() + ": timed out"), std::string::npos) << what;
  }
}

TEST_F(Io, CancellingARaceCancelsEveryAttemptAndLeaksNothing) {
  io::context ctx;
  blackhole a(ctx), b(ctx), c(ctx);
  const std::vector<io::endpoint> holes{a.at(), b.at(), c.at()};
  auto racer = [&]() -> task<int> {
    (void)co_await io::socket::connect(ctx, holes);
    co_return 0;
  };
  auto waker = [&]() -> task<int> {
    co_await io::sleep_for(ctx, 2 * io::connection_attempt_delay + 50ms);  // all three attempts running
    co_return 1;
  };
  auto first = [&]() -> task<std::pair<std::size_t, int>> {
    std::vector<task<int>> both;
    both.push_back(racer());
    both.push_back(waker());
    co_return co_await io::when_any(std::move(both));
  };
  const auto [winner, value] = ctx.run(first());
  EXPECT_EQ(winner, 1u);
  EXPECT_EQ(value, 1);
  EXPECT_EQ(ctx.loop().in_flight(), 0u) << "every connect was cancelled and has ended";
}

}  // namespace
