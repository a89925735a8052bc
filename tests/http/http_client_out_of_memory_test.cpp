// switchyard::http out of memory: the body's string, curl's handles and
// options, each of curl's own allocations in a transfer in turn (through
// curl_global_init_mem's callbacks, which fail one at a time), and a stop
// from a thread that cannot allocate. The same program as
// http_client_test.cpp, against the same nginx (http_site.hpp).
#include <gtest/gtest.h>

#include <curl/curl.h>
#include <string.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <string>
#include <vector>

#include <switchyard/http.hpp>
#include <switchyard/io.hpp>

#include "http/http_site.hpp"
#include "io/stop_without_memory.hpp"
#include "support/failing_allocations.hpp"

namespace http = switchyard::http;
namespace io = switchyard::io;
using switchyard::task;
using switchyard::testing::fail_allocations_from;
using switchyard::testing::http_site::Http;
using switchyard::testing::http_site::big_text;
using switchyard::testing::http_site::page;
using namespace std::chrono_literals;

namespace {

// curl's own allocations, through callbacks a test can make fail, installed
// before the library's curl_global_init (which then only counts).
std::atomic<bool> curl_allocations_fail{false};
/// curl's allocation this many allocations from now (on any thread: its
/// resolver's too) fails, once; -1: none.
std::atomic<long> curl_allocation_fails_after{-1};
std::atomic<bool> curl_allocation_failed{false};
bool refused() noexcept {
  if (curl_allocations_fail) return true;
  for (long left = curl_allocation_fails_after.load(); left >= 0;) {
    if (!curl_allocation_fails_after.compare_exchange_weak(left, left - 1)) continue;
    if (left > 0) return false;
    curl_allocation_failed = true;
    return true;
  }
  return false;
}
void* curl_malloc(std::size_t n) { return refused() ? nullptr : std::malloc(n); }
void* curl_realloc(void* p, std::size_t n) { return refused() ? nullptr : std::realloc(p, n); }
void* curl_calloc(std::size_t count, std::size_t n) { return refused() ? nullptr : std::calloc(count, n); }
char* curl_strdup(const char* s) { return refused() ? nullptr : ::strdup(s); }
const bool curl_allocations_hooked =
    ::curl_global_init_mem(CURL_GLOBAL_DEFAULT, curl_malloc, std::free, curl_realloc, curl_strdup, curl_calloc) ==
    CURLE_OK;

// The body grows in curl's write callback, which must not throw through
// curl's C frames: the transfer ends with the allocation's error, and the
// client goes on.
TEST_F(Http, ABodyThatRunsOutOfMemoryIsThatErrorAndTheClientGoesOn) {
  io::context ctx;
  http::client web(ctx, {.timeout = 20s});
  fail_allocations_from = 256 << 10;  // big.txt is 1 MiB: its body's string cannot grow past 256 KiB
  EXPECT_THROW(ctx.run(web.get(url("127.0.0.1", "/big.txt"))), std::bad_alloc);
  fail_allocations_from = 0;
  const http::response r = ctx.run(web.get(url("127.0.0.1", "/big.txt")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, big_text());
  expect_pages(ctx.run(fetch_pages(web, 16)));
}

// Out of memory inside curl is std::bad_alloc, as anywhere in the library,
// where the client meets it itself: a client's multi handle, a transfer's
// easy handle, a copy of a request's option (a std::runtime_error and a
// std::invalid_argument before). The client goes on once memory is back.
// (Failing each of curl's allocations in turn found more, which curl
// itself decides: RELIABILITY.md.)
TEST_F(Http, OutOfMemoryInCurlsHandlesAndOptionsIsStdBadAlloc) {
  ASSERT_TRUE(curl_allocations_hooked);
  io::context ctx;
  curl_allocations_fail = true;
  EXPECT_THROW(http::client(ctx, {.timeout = 20s}), std::bad_alloc);
  curl_allocations_fail = false;
  http::client web(ctx, {.timeout = 20s});
  curl_allocations_fail = true;
  EXPECT_THROW(ctx.run(web.get(url("127.0.0.1", "/page-1.html"))), std::bad_alloc);  // no easy handle yet
  curl_allocations_fail = false;
  EXPECT_EQ(ctx.run(web.get(url("127.0.0.1", "/page-1.html"))).body, page(1));
  curl_allocations_fail = true;
  EXPECT_THROW(ctx.run(web.get(url("127.0.0.1", "/page-2.html"))), std::bad_alloc);  // an idle one: its URL's copy
  curl_allocations_fail = false;
  EXPECT_EQ(ctx.run(web.get(url("127.0.0.1", "/page-2.html"))).body, page(2));
}

/// How a transfer of page 1 ended: "whole", "out of memory", "timeout", the
/// error's text, or "hung" when a 10 s guard had to end it.
task<std::string> how_it_ends(io::context& ctx, http::client& web, const http::request& r) {
  auto fetch = [&]() -> task<std::string> {
    try {
      const http::response got = co_await web.fetch(r);
      co_return got.body == page(1) ? "whole" : "another body";
    } catch (const std::bad_alloc&) {
      co_return "out of memory";
    } catch (const io::timeout_error&) {
      co_return "timeout";
    } catch (const std::exception& e) {
      co_return std::string("error: ") + e.what();
    }
  };
  auto guard = [&]() -> task<std::string> {
    co_await io::sleep_for(ctx, 10s);
    co_return "hung";
  };
  std::vector<task<std::string>> race;
  race.push_back(fetch());
  race.push_back(guard());
  co_return (co_await io::when_any(std::move(race))).second;
}

// Each of curl's allocations in a client's first transfer fails in turn.
// The transfer ends, within its timeout (whole, std::bad_alloc, or an error
// curl makes of its own out of memory: RELIABILITY.md), and the client's
// next transfer is whole. Out of memory inside curl_multi_socket_action,
// libcurl 7.88 left a transfer waiting for good (it asked for no timer or
// socket again), and the client's next transfer on a socket of the same
// number divided by zero in curl (SIGFPE).
TEST_F(Http, WhicheverOfCurlsAllocationsFailsTheTransferEndsAndTheClientGoesOn) {
  ASSERT_TRUE(curl_allocations_hooked);
  for (const bool tls : {false, true}) {
    http::request r;
    r.url = tls ? tls_url("127.0.0.1", "/page-1.html") : url("127.0.0.1", "/page-1.html");
    r.timeout = 500ms;
    const std::string next = tls ? tls_url("127.0.0.1", "/page-2.html") : url("127.0.0.1", "/page-2.html");
    std::map<std::string, int> endings;
    long n = 0;
    for (;; ++n) {
      io::context ctx;
      http::client web(ctx, {.ca_file = ca_file()});
      curl_allocation_failed = false;
      curl_allocation_fails_after = n;
      const auto t0 = std::chrono::steady_clock::now();
      const std::string ending = ctx.run(how_it_ends(ctx, web, r));
      const auto took = std::chrono::steady_clock::now() - t0;
      curl_allocation_fails_after = -1;
      ++endings[ending];
      EXPECT_NE(ending, "hung") << r.url << ", allocation " << n;
      EXPECT_NE(ending, "another body") << r.url << ", allocation " << n;
      EXPECT_LT(took, 5s) << r.url << ", allocation " << n << ": " << ending;
      EXPECT_EQ(ctx.run(web.get(next)).body, page(2)) << r.url << ", allocation " << n;
      if (!curl_allocation_failed) {
        EXPECT_EQ(ending, "whole") << r.url << ": none of its allocations failed";
        break;
      }
      ASSERT_LT(n, 4000) << "a transfer of 4 KiB makes fewer allocations than that";
    }
    std::string seen;
    for (const auto& [ending, count] : endings) seen += ending + ": " + std::to_string(count) + "; ";
    std::printf("%s, %ld allocations: %s\n", tls ? "https" : "http", n, seen.c_str());
    EXPECT_GT(endings["out of memory"], n / 2) << r.url << ": curl's out of memory came through as itself at most allocations";
  }
}

// A stop asked for on another thread reaches a transfer while nothing can
// be allocated: it was posted in a node allocated for it, which a full heap
// lost, and the transfer waited for its timeout.
TEST_F(Http, AStopFromAThreadThatCannotAllocateEndsATransfer) {
  io::context ctx;
  // The kernel completes the connection into the backlog; nobody answers.
  io::socket listener = io::socket::listen(ctx, "127.0.0.1", 0, 16);
  http::client web(ctx);
  http::request r;
  r.url = "http://127.0.0.1:" + std::to_string(listener.local_port()) + "/";
  r.timeout = 6s;
  auto transfer = [&]() -> task<void> { (void)co_await web.fetch(r); };
  EXPECT_EQ(switchyard::testing::stop_without_memory(ctx, transfer(), [] {}), "cancelled");
}

}  // namespace
