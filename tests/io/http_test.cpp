// The examples' HTTP/1.1 client: what it accepts and what it rejects, in
// memory and from a server on loopback that sends malformed responses.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <switchyard/io.hpp>

#include "http/http1.hpp"
#include "support/http_pieces.hpp"

namespace io = switchyard::io;
using switchyard::task;
using namespace std::chrono_literals;
using switchyard::testing::parse_at_once;
using switchyard::testing::parse_in_pieces;

namespace {

TEST(Http, AcceptsContentLengthAndChunkedBodies) {
  auto r = http::parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing:  spaced  \r\n\r\nhello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.headers["x-thing"], "spaced");
  EXPECT_TRUE(r.keep_alive);
  r = http::parse("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  EXPECT_EQ(r.body, "hello world");
  r = http::parse("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(r.keep_alive);
  r = http::parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(r.keep_alive) << "HTTP/1.0 closes unless it says keep-alive";
}

TEST(Http, RejectsMalformedResponsesSayingWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"HTTP/1.1 OK\r\n\r\n", "status"},
      {"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", "version"},
      {"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", "status code"},
      {"ICY 200 OK\r\n\r\n", "status line"},
      {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"},
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n", "header name"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "both"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", "Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", "two different"},
      {"HTTP/1.1 200 OK\r\n\r\nbody", "no Content-Length"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", "CRLF"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "shorter"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", "after the end"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2", "middle of a line"},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", "no upgrade was asked for"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n", "over the limit"},
  };
  for (const auto& [raw, why] : cases) {
    try {
      (void)http::parse(raw);
      ADD_FAILURE() << "accepted: " << raw;
    } catch (const http::malformed_response& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << "for " << raw << ": " << e.what();
    }
  }
}

// Interim responses (100 Continue, 103 Early Hints) were taken as the answer.
TEST(Http, InterimResponsesAreSkipped) {
  const auto r = http::parse(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.headers.count("link"), 0u) << "a header of the interim response leaked into the final one";
}

// One header repeated 101 times got past the cap of 100 (the cap counted names).
TEST(Http, TheHeaderCapCountsLinesNotNames) {
  std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";
  for (int i = 0; i < 100; ++i) raw += "X-Same: " + std::to_string(i) + "\r\n";
  raw += "\r\n";
  try {
    (void)http::parse(raw);
    ADD_FAILURE() << "101 header lines were accepted";
  } catch (const http::malformed_response& e) {
    EXPECT_NE(std::string(e.what()).find("more than 100 header lines"), std::string::npos) << e.what();
  }
}

// A body is bounded: a chunked body that grows past the limit is rejected
// when it gets there, not after it was all buffered (it took 1 GiB of memory).
TEST(Http, ABodyOverTheLimitIsRejected) {
  std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) raw += "400\r\n" + std::string(1024, 'b') + "\r\n";
  raw += "0\r\n\r\n";
  EXPECT_EQ(http::parse(raw, 20 * 1024).body.size(), 20u * 1024);
  try {
    (void)http::parse(raw, 19 * 1024);
    ADD_FAILURE() << "a 20 KiB body was accepted under a 19 KiB limit";
  } catch (const http::malformed_response& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the limit"), std::string::npos) << e.what();
  }
}

// Acceptance depended on how the bytes were split: a 9000-byte header line
// was accepted in one segment and rejected in several.
TEST(Http, TheSameBytesGiveTheSameAnswerHoweverTheyAreSplit) {
  const std::vector<std::string> cases = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n1\r\n!\r\n0\r\nT: 1\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Long: " + std::string(9000, 'l') + "\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Almost: " + std::string(8100, 'l') + "\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
  };
  for (const std::string& raw : cases) {
    const std::string whole = parse_at_once(raw);
    for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64}, std::size_t{4096}}) {
      EXPECT_EQ(parse_in_pieces(raw, piece), whole) << "pieces of " << piece << " of " << raw.substr(0, 60);
    }
  }
  EXPECT_NE(parse_at_once(cases[3]).find("longer than 8192"), std::string::npos);
  EXPECT_EQ(parse_at_once(cases[4]), "200 ");
  EXPECT_EQ(parse_at_once(cases[6]), "unfinished");
  EXPECT_EQ(parse_at_once(cases[7]), "error: bytes after the end of the response");
}

/// A server that answers one request with `reply`, then closes.
task<void> answer_with(io::socket listener, std::string reply) {
  io::socket peer = co_await listener.accept();
  std::byte request[4096];
  (void)co_await peer.recv(request);
  co_await peer.send_all(std::as_bytes(std::span(reply)));
  co_await peer.close();
}

std::string fetch_from(const std::string& reply) {
  io::context ctx;
  io::socket listener = io::socket::listen(ctx);
  const auto port = listener.local_port();
  ctx.spawn(answer_with(std::move(listener), reply));
  auto client = [&]() -> task<std::string> {
    http::connection c(co_await io::socket::connect(ctx, "127.0.0.1", port));
    co_return (co_await c.get("localhost", "/")).body;
  };
  return ctx.run(client());
}

TEST(Http, AMalformedResponseFromTheNetworkIsAClearError) {
  EXPECT_EQ(fetch_from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), "ok");
  try {
    fetch_from("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\ncut short");
    ADD_FAILURE() << "a truncated body was accepted";
  } catch (const http::malformed_response& e) {
    EXPECT_NE(std::string(e.what()).find("closed the connection"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fetch_from("garbage\r\n\r\n"), http::malformed_response);
  EXPECT_THROW(fetch_from(std::string(10000, 'x')), http::malformed_response) << "an endless first line";
}

/// Sends `head`, then `body` in pieces of `piece` bytes every `gap`, then
/// holds the connection until the client closes it.
task<void> trickle(io::context& ctx, io::socket listener, std::string head, std::string body, std::size_t piece,
                   std::chrono::milliseconds gap) {
  io::socket peer = co_await listener.accept();
  std::byte request[4096];
  (void)co_await peer.recv(request);
  co_await peer.send_all(std::as_bytes(std::span(head)));
  try {
    for (std::size_t at = 0; at < body.size(); at += piece) {
      if (gap.count() > 0) co_await io::sleep_for(ctx, gap);
      const std::string_view part = std::string_view(body).substr(at, piece);
      co_await peer.send_all(std::as_bytes(std::span(part)));
    }
    std::byte rest[1];
    (void)co_await peer.recv(rest);
  } catch (const std::system_error&) {
    // The client gave up and closed: what the test wants.
  }
}

// A server that sends one byte at a time, forever (slowloris), held a
// request forever: a whole response must arrive within limits::timeout.
TEST(Http, ASlowServerTimesOut) {
  io::context ctx;
  io::socket listener = io::socket::listen(ctx);
  const auto port = listener.local_port();
  ctx.spawn(trickle(ctx, std::move(listener), "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", std::string(1000, 's'),
                    1, 10ms));
  auto client = [&]() -> task<void> {
    http::connection c(co_await io::socket::connect(ctx, "127.0.0.1", port), {.timeout = 200ms});
    const auto t0 = std::chrono::steady_clock::now();
    try {
      (void)co_await c.get("localhost", "/");
      ADD_FAILURE() << "a response trickling for 10 s arrived within 200 ms";
    } catch (const io::timeout_error& e) {
      EXPECT_NE(std::string(e.what()).find("no whole response within 200 ms"), std::string::npos) << e.what();
      EXPECT_GT(e.bytes_transferred(), 0u);
    }
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, 190ms);
    EXPECT_LT(waited, 5s);
  };
  ctx.run(client());
}

// 2 MiB of 64-byte chunks arriving in small segments took 4.7 s: each
// segment re-parsed the response from its start. Parsed incrementally it is
// milliseconds; the bound leaves two orders of magnitude for a slow machine.
TEST(Http, ManySmallChunksInManySegmentsParseInLinearTime) {
  std::string body;
  std::string chunked;
  for (int i = 0; i < 32768; ++i) {
    const std::string data(64, static_cast<char>('a' + i % 26));
    body += data;
    chunked += "40\r\n" + data + "\r\n";
  }
  chunked += "0\r\n\r\n";
  io::context ctx;
  io::socket listener = io::socket::listen(ctx);
  const auto port = listener.local_port();
  ctx.spawn(trickle(ctx, std::move(listener), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunked, 1000,
                    0ms));
  auto client = [&]() -> task<void> {
    http::connection c(co_await io::socket::connect(ctx, "127.0.0.1", port));
    const auto t0 = std::chrono::steady_clock::now();
    const http::response r = co_await c.get("localhost", "/");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    EXPECT_EQ(r.body, body);
  };
  ctx.run(client());
}

}  // namespace
