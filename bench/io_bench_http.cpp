// The io suite's HTTP cases against a local nginx: 10,000 pages over 64
// keep-alive connections (one context, io::runtime, one thread per request,
// a 64-thread pool, wrk) and throughput against the number in flight.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include <switchyard/io.hpp>

#include "http/fetch_many.hpp"
#include "io_bench.hpp"
#include "support/run_program.hpp"

namespace io = switchyard::io;
namespace sb = switchyard::bench;
using switchyard::task;

namespace switchyard::bench::io_suite {
namespace {

// ---- HTTP against nginx

std::string page_target(std::size_t i) { return "/page-" + std::to_string(i) + ".html"; }

int blocking_connect() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(nginx_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
  return fd;
}

/// A blocking GET on fd; returns the body's size. Keeps leftovers in `pending`.
std::size_t blocking_get(int fd, const std::string& target, std::string& pending) {
  const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) std::abort();
  char buf[16384];
  std::size_t header_end;
  while ((header_end = pending.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) std::abort();
    pending.append(buf, static_cast<std::size_t>(n));
  }
  const auto cl = pending.find("Content-Length: ");
  const std::size_t length = std::stoul(pending.substr(cl + 16));
  while (pending.size() < header_end + 4 + length) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) std::abort();
    pending.append(buf, static_cast<std::size_t>(n));
  }
  pending.erase(0, header_end + 4 + length);
  return length;
}


void http_thread_per_request(benchmark::State& state) {
  for (auto _ : state) {
    const auto t0 = clock_type::now();
    for (std::size_t first = 0; first < pages; first += connections) {
      std::vector<std::thread> batch;
      for (std::size_t i = first; i < std::min(pages, first + connections); ++i) {
        batch.emplace_back([i] {
          const int fd = blocking_connect();
          std::string pending;
          (void)blocking_get(fd, page_target(i), pending);
          ::close(fd);
        });
      }
      for (auto& t : batch) t.join();
    }
    state.SetIterationTime(seconds_since(t0));
  }
  state.counters["req_per_s"] = benchmark::Counter(double(pages) * double(state.iterations()), benchmark::Counter::kIsRate);
}


/// wrk for peer_seconds with `open_connections` connections and as many threads,
/// up to the cores; the iteration time is what its rate gives for `requests`.
void run_wrk(benchmark::State& state, unsigned open_connections, std::size_t requests) {
  double rps = 0;
  for (auto _ : state) {
    rps = wrk_rate(state, "http://127.0.0.1:" + std::to_string(nginx_port) + page_target(0), open_connections);
    if (rps <= 0) return;
    state.SetIterationTime(double(requests) / rps);
  }
  state.counters["req_per_s"] = rps;
}

void http_wrk(benchmark::State& state) { run_wrk(state, connections, pages); }

// ---- throughput against the number of requests in flight

/// `requests` pages over `in_flight` keep-alive connections on a context
/// (io_uring, or the fallback where SWITCHYARD_IO_BACKEND says so); every
/// body's size checked.
void fetch_on_context(benchmark::State& state, bool fallback, std::size_t in_flight, std::size_t requests) {
  if (fallback) ::setenv("SWITCHYARD_IO_BACKEND", "fallback", 1);
  io::context ctx;
  if (fallback) ::unsetenv("SWITCHYARD_IO_BACKEND");
  for (auto _ : state) {
    std::vector<std::string> targets;
    for (std::size_t i = 0; i < requests; ++i) targets.push_back(page_target(i % pages));
    const auto t0 = clock_type::now();
    const std::size_t bytes = ctx.run(http::fetch_many(ctx, nginx_port, in_flight, std::move(targets)));
    state.SetIterationTime(seconds_since(t0));
    if (bytes != requests * 4096) state.SkipWithError("wrong number of bytes");
  }
  state.counters["req_per_s"] = benchmark::Counter(double(requests) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(ctx.backend_name()));
}

void http_in_flight_context(benchmark::State& state, bool fallback) {
  fetch_on_context(state, fallback, static_cast<std::size_t>(state.range(0)), sweep_requests);
}

/// The same over `threads` threads, one blocking connection each.
void fetch_on_threads(benchmark::State& state, std::size_t threads, std::size_t requests) {
  for (auto _ : state) {
    const auto t0 = clock_type::now();
    std::atomic<std::size_t> next{0}, bytes{0};
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < threads; ++w) {
      pool.emplace_back([&] {
        const int fd = blocking_connect();
        std::string pending;
        for (std::size_t i; (i = next.fetch_add(1)) < requests;) bytes += blocking_get(fd, page_target(i % pages), pending);
        ::close(fd);
      });
    }
    for (auto& t : pool) t.join();
    state.SetIterationTime(seconds_since(t0));
    if (bytes != requests * 4096) state.SkipWithError("wrong number of bytes");
  }
  state.counters["req_per_s"] = benchmark::Counter(double(requests) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void http_in_flight_threads(benchmark::State& state) {
  fetch_on_threads(state, static_cast<std::size_t>(state.range(0)), sweep_requests);
}

// The fixed cases the goals name: 10,000 pages, 64 at a time.
void http_switchyard(benchmark::State& state) { fetch_on_context(state, false, connections, pages); }

/// The same pages on an io::runtime of state.range(0) contexts: each fetches
/// every n-th page over its own connections, 64 in flight in all. Its
/// threads placed by the OS, or (own_core) each pinned to a core, which
/// nginx's worker then shares with a context.
void http_runtime(benchmark::State& state, io::placement threads) {
  io::runtime rt(static_cast<std::size_t>(state.range(0)), threads);
  const std::size_t n = rt.size();
  for (auto _ : state) {
    auto on_context = [&](std::size_t i) -> task<std::size_t> {
      std::vector<std::string> mine;
      for (std::size_t k = i; k < pages; k += n) mine.push_back(page_target(k));
      co_return co_await http::fetch_many(*io::runtime::current(), nginx_port, std::max<std::size_t>(1, connections / n),
                                          std::move(mine));
    };
    auto all = [&]() -> task<std::size_t> {
      std::vector<task<std::size_t>> each;
      for (std::size_t i = 0; i < n; ++i) each.push_back(rt.on(i, on_context(i)));
      std::size_t bytes = 0;
      for (auto s : co_await io::when_all(std::move(each))) bytes += s;
      co_return bytes;
    };
    const auto t0 = clock_type::now();
    const std::size_t bytes = rt.run(all());
    state.SetIterationTime(seconds_since(t0));
    if (bytes != pages * 4096) state.SkipWithError("wrong number of bytes");
  }
  state.counters["req_per_s"] = benchmark::Counter(double(pages) * double(state.iterations()), benchmark::Counter::kIsRate);
}
void http_thread_pool(benchmark::State& state) { fetch_on_threads(state, connections, pages); }

/// wrk with `in_flight` connections.
void http_in_flight_wrk(benchmark::State& state) {
  run_wrk(state, static_cast<unsigned>(state.range(0)), sweep_requests);
}


}  // namespace

double wrk_rate(benchmark::State& state, const std::string& url, unsigned open_connections) {
  const unsigned threads = std::min(open_connections, std::max(1u, std::thread::hardware_concurrency()));
  const std::string text = sb::output_of({"wrk", "-t" + std::to_string(threads), "-c" + std::to_string(open_connections),
                                          "-d" + std::to_string(peer_seconds) + "s", url});
  const auto at = text.find("Requests/sec:");
  if (at == std::string::npos) {
    state.SkipWithError(("wrk did not run: " + text).c_str());
    return 0;
  }
  return std::stod(text.substr(at + 13));
}

void register_http(bool quick) {
  const int rounds = quick ? 1 : 3;
  benchmark::RegisterBenchmark("http/switchyard", http_switchyard)->Iterations(rounds)->UseManualTime();
  const auto cores = static_cast<std::int64_t>(io::runtime(0).size());
  benchmark::RegisterBenchmark("http/switchyard_runtime", http_runtime, io::placement::any_core)
      ->ArgName("contexts")->Arg(1)->Arg(cores)->Iterations(rounds)->UseManualTime();
  benchmark::RegisterBenchmark("http/switchyard_runtime_own_core", http_runtime, io::placement::own_core)
      ->ArgName("contexts")->Arg(cores)->Iterations(rounds)->UseManualTime();
  benchmark::RegisterBenchmark("http/wrk", http_wrk)->Iterations(1)->UseManualTime();
  benchmark::RegisterBenchmark("http/thread_pool_64", http_thread_pool)->Iterations(rounds)->UseManualTime();
  benchmark::RegisterBenchmark("http/thread_per_request", http_thread_per_request)->Iterations(1)->UseManualTime();
  const auto in_flight = [quick](benchmark::internal::Benchmark* b) {
    b->ArgName("in_flight")->UseManualTime()->Iterations(1);
    for (int k = 1; k <= 256; k *= quick ? 4 : 2) b->Arg(k);
    return b;
  };
  in_flight(benchmark::RegisterBenchmark("http_in_flight/io_uring", [](benchmark::State& s) { http_in_flight_context(s, false); }));
  in_flight(benchmark::RegisterBenchmark("http_in_flight/fallback", [](benchmark::State& s) { http_in_flight_context(s, true); }));
  in_flight(benchmark::RegisterBenchmark("http_in_flight/thread_pool", http_in_flight_threads));
  // wrk runs for whole seconds: one repetition of each point in a quick run.
  auto* wrk = in_flight(benchmark::RegisterBenchmark("http_in_flight/wrk", http_in_flight_wrk));
  if (quick) wrk->Repetitions(1);
}

}  // namespace switchyard::bench::io_suite
