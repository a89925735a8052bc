// The examples' HTTP/1.1 client: what it accepts and what it rejects, in
// memory and from a server on loopback that sends malformed responses.
#include <gtest/gtest.h>

#include <string>

#include <switchyard/io.hpp>

#include "http/http1.hpp"

namespace io = switchyard::io;
using switchyard::task;

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

}  // namespace
