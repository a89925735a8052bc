// The I/O suite: random 4 KiB reads from a file in the page cache (against a
// 64-thread pread pool and fio's io_uring engine), HTTP requests to a local
// nginx (against one thread per request, a 64-thread pool and wrk), HTTP
// throughput against the number of requests in flight (the io_uring context,
// the fallback, a thread pool and wrk), and the cost of spawning a task and
// of an offload round trip. `switchyard bench` runs it (suite `io`) with an
// nginx of its own; alone:
//   io_bench [--quick] [--nginx-port P] [Google Benchmark flags]
// Without a port the HTTP cases are left out.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <switchyard/io.hpp>

#include "http/http1.hpp"
#include "support/median.hpp"
#include "support/run_program.hpp"
#include "support/suite_main.hpp"

namespace io = switchyard::io;
namespace sb = switchyard::bench;
using switchyard::task;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t block = 4096;
constexpr std::size_t depth = 64;
constexpr std::size_t pages = 10'000;
constexpr std::size_t connections = 64;

// --quick shrinks these.
std::size_t file_bytes = std::size_t{1} << 30;
std::size_t reads_per_run = 200'000;
std::size_t sweep_requests = 10'000;
int peer_seconds = 3;

std::uint16_t nginx_port = 0;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// ---- random reads

/// A 1 GiB file, written once (so it sits in the page cache), removed at exit.
struct read_file {
  std::string path = "/tmp/switchyard-io-bench-" + std::to_string(getpid()) + ".dat";
  std::vector<std::uint64_t> offsets;
  read_file() {
    std::vector<char> chunk(std::size_t{1} << 20);
    for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 31);
    std::ofstream out(path, std::ios::binary);
    for (std::size_t done = 0; done < file_bytes; done += chunk.size()) out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::uint64_t> pick(0, file_bytes / block - 1);
    for (std::size_t i = 0; i < reads_per_run; ++i) offsets.push_back(pick(rng) * block);
  }
  ~read_file() { ::unlink(path.c_str()); }
};

read_file& the_file() {
  static read_file f;
  return f;
}

void random_reads_switchyard(benchmark::State& state) {
  auto& file = the_file();
  io::context ctx;
  for (auto _ : state) {
    auto run = [&]() -> task<void> {
      io::file f = co_await io::file::open(ctx, file.path, O_RDONLY);
      auto reader = [&](std::size_t first) -> task<void> {
        std::vector<std::byte> buf(block);
        for (std::size_t k = first; k < reads_per_run; k += depth) co_await f.read_at(buf, file.offsets[k]);
      };
      std::vector<task<void>> readers;
      for (std::size_t w = 0; w < depth; ++w) readers.push_back(reader(w));
      co_await io::when_all(std::move(readers));
      co_await f.close();
    };
    const auto t0 = clock_type::now();
    ctx.run(run());
    state.SetIterationTime(seconds_since(t0));
  }
  state.counters["IOPS"] = benchmark::Counter(double(reads_per_run) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(ctx.backend_name()));
}

/// The same reads on an io::runtime of state.range(0) contexts, 64 in
/// flight on each, each context with the file open on its own ring.
void random_reads_runtime(benchmark::State& state) {
  auto& file = the_file();
  io::runtime rt(static_cast<std::size_t>(state.range(0)));
  const std::size_t n = rt.size();
  for (auto _ : state) {
    auto on_context = [&](std::size_t i) -> task<void> {
      io::context& ctx = *io::runtime::current();
      io::file f = co_await io::file::open(ctx, file.path, O_RDONLY);
      auto reader = [&](std::size_t first) -> task<void> {
        std::vector<std::byte> buf(block);
        for (std::size_t k = first; k < reads_per_run; k += depth * n) co_await f.read_at(buf, file.offsets[k]);
      };
      std::vector<task<void>> readers;
      for (std::size_t w = 0; w < depth; ++w) readers.push_back(reader(i * depth + w));
      co_await io::when_all(std::move(readers));
      co_await f.close();
    };
    auto all = [&]() -> task<void> {
      std::vector<task<void>> each;
      for (std::size_t i = 0; i < n; ++i) each.push_back(rt.on(i, on_context(i)));
      co_await io::when_all(std::move(each));
    };
    const auto t0 = clock_type::now();
    rt.run(all());
    state.SetIterationTime(seconds_since(t0));
  }
  state.counters["IOPS"] = benchmark::Counter(double(reads_per_run) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(rt.at(0).backend_name()));
}

void random_reads_pread_pool(benchmark::State& state) {
  auto& file = the_file();
  const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  for (auto _ : state) {
    const auto t0 = clock_type::now();
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < depth; ++w) {
      pool.emplace_back([&, w] {
        std::vector<char> buf(block);
        for (std::size_t k = w; k < reads_per_run; k += depth) {
          if (::pread(fd, buf.data(), block, static_cast<off_t>(file.offsets[k])) != static_cast<ssize_t>(block)) std::abort();
        }
      });
    }
    for (auto& t : pool) t.join();
    state.SetIterationTime(seconds_since(t0));
  }
  ::close(fd);
  state.counters["IOPS"] = benchmark::Counter(double(reads_per_run) * double(state.iterations()), benchmark::Counter::kIsRate);
}

/// fio with `engine` (io_uring at depth 64, or psync) and `jobs` jobs,
/// their IOPS summed (--group_reporting).
void random_reads_fio(benchmark::State& state, const std::string& engine, int jobs) {
  auto& file = the_file();
  double iops = 0;
  for (auto _ : state) {
    const std::string text = sb::output_of({"fio", "--name=randread", "--filename=" + file.path, "--rw=randread", "--bs=4k",
                                        "--ioengine=" + engine, engine == "psync" ? "--iodepth=1" : "--iodepth=64",
                                        "--size=" + std::to_string(file_bytes >> 20) + "M",
                                        "--numjobs=" + std::to_string(jobs), "--group_reporting",
                                        "--invalidate=0", "--time_based", "--runtime=" + std::to_string(peer_seconds),
                                        "--output-format=json"});
    try {
      iops = nlohmann::json::parse(text)["jobs"][0]["read"]["iops"].get<double>();
    } catch (const std::exception& e) {
      state.SkipWithError(("fio did not run: " + std::string(e.what())).c_str());
      return;
    }
    state.SetIterationTime(double(reads_per_run) / iops);  // the time fio's rate gives for the same reads
  }
  state.counters["IOPS"] = iops;
}

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
  const unsigned threads = std::min(open_connections, std::max(1u, std::thread::hardware_concurrency()));
  double rps = 0;
  for (auto _ : state) {
    const std::string text = sb::output_of({"wrk", "-t" + std::to_string(threads), "-c" + std::to_string(open_connections),
                                            "-d" + std::to_string(peer_seconds) + "s",
                                            "http://127.0.0.1:" + std::to_string(nginx_port) + page_target(0)});
    const auto at = text.find("Requests/sec:");
    if (at == std::string::npos) {
      state.SkipWithError(("wrk did not run: " + text).c_str());
      return;
    }
    rps = std::stod(text.substr(at + 13));
    state.SetIterationTime(double(requests) / rps);
  }
  state.counters["req_per_s"] = rps;
}

void http_wrk(benchmark::State& state) { run_wrk(state, connections, pages); }

// ---- task and offload costs

task<void> empty() { co_return; }

/// Times body(ctx), a task that starts n tasks, and reports the time per task.
template <class Body>
void per_task(benchmark::State& state, int n, Body body) {
  io::context ctx;
  for (auto _ : state) {
    const auto t0 = clock_type::now();
    ctx.run(body(ctx));
    const double each = seconds_since(t0) / n;
    state.SetIterationTime(each);
    state.counters["ns_per_task"] = each * 1e9;
  }
}

void spawn_and_await(benchmark::State& state) {
  per_task(state, 1'000'000, [](io::context&) -> task<void> {
    for (int i = 0; i < 1'000'000; ++i) co_await empty();
  });
}

void spawn_detached(benchmark::State& state) {
  per_task(state, 100'000, [](io::context& ctx) -> task<void> {
    for (int i = 0; i < 100'000; ++i) ctx.spawn(empty());
    co_await io::sleep_for(ctx, std::chrono::nanoseconds(1));  // the spawned ones run before this returns
  });
}

void offload_round_trip(benchmark::State& state) {
  io::context ctx;
  std::vector<double> each;
  for (auto _ : state) {
    auto run = [&]() -> task<void> {
      for (int i = 0; i < 10'000; ++i) {
        const auto t0 = clock_type::now();
        co_await io::offload(ctx, [] {});
        each.push_back(seconds_since(t0));
      }
    };
    ctx.run(run());
    state.SetIterationTime(sb::median(each));
  }
  state.counters["median_us"] = sb::median(each) * 1e6;
}

// ---- cancellation: when_all of `n` sleepers and one task that fails at
// once; the failure cancels every sleeper. Timed from the failure to
// when_all's return, on the context's backend (the fallback where
// SWITCHYARD_IO_BACKEND says so): linear in n, or quadratic as it was.
void cancel_sleepers(benchmark::State& state, bool fallback) {
  const auto n = static_cast<std::size_t>(state.range(0));
  if (fallback) ::setenv("SWITCHYARD_IO_BACKEND", "fallback", 1);
  io::context ctx;
  if (fallback) ::unsetenv("SWITCHYARD_IO_BACKEND");
  for (auto _ : state) {
    clock_type::time_point failed_at;
    auto run = [&]() -> task<std::size_t> {
      auto sleeper = [&]() -> task<void> { co_await io::sleep_for(ctx, std::chrono::hours(1)); };
      auto failing = [&]() -> task<void> {
        co_await io::sleep_for(ctx, std::chrono::milliseconds(1));  // after every sleeper has started
        failed_at = clock_type::now();
        throw std::runtime_error("stop them all");
      };
      std::vector<task<void>> all;
      for (std::size_t i = 0; i < n; ++i) all.push_back(sleeper());
      all.push_back(failing());
      try {
        co_await io::when_all(std::move(all));
      } catch (const std::runtime_error&) {
        co_return 1;
      }
      co_return 0;
    };
    if (ctx.run(run()) != 1) state.SkipWithError("when_all did not end with the failure");
    state.SetIterationTime(seconds_since(failed_at));
  }
  state.SetLabel(std::string(ctx.backend_name()));
}

// ---- throughput against the number of requests in flight

/// `requests` pages over `in_flight` keep-alive connections on a context
/// (io_uring, or the fallback where SWITCHYARD_IO_BACKEND says so); every
/// body's size checked.
void fetch_on_context(benchmark::State& state, bool fallback, std::size_t in_flight, std::size_t requests) {
  if (fallback) ::setenv("SWITCHYARD_IO_BACKEND", "fallback", 1);
  io::context ctx;
  if (fallback) ::unsetenv("SWITCHYARD_IO_BACKEND");
  for (auto _ : state) {
    auto run = [&]() -> task<std::size_t> {
      http::connection_pool pool(ctx, nginx_port);
      io::limiter limit(ctx, in_flight);
      auto one = [&](std::size_t i) -> task<std::size_t> {
        auto c = co_await pool.take();
        const http::response r = co_await c->get("127.0.0.1", page_target(i % pages));
        pool.give_back(std::move(c));
        co_return r.body.size();
      };
      std::vector<task<std::size_t>> all;
      for (std::size_t i = 0; i < requests; ++i) all.push_back(limit.run(one(i)));
      std::size_t bytes = 0;
      for (auto s : co_await io::when_all(std::move(all))) bytes += s;
      co_return bytes;
    };
    const auto t0 = clock_type::now();
    const std::size_t bytes = ctx.run(run());
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
/// every n-th page over its own connections, 64 in flight in all.
void http_runtime(benchmark::State& state) {
  io::runtime rt(static_cast<std::size_t>(state.range(0)));
  const std::size_t n = rt.size();
  for (auto _ : state) {
    auto on_context = [&](std::size_t i) -> task<std::size_t> {
      io::context& ctx = *io::runtime::current();
      http::connection_pool pool(ctx, nginx_port);
      io::limiter limit(ctx, std::max<std::size_t>(1, connections / n));
      auto one = [&](std::size_t k) -> task<std::size_t> {
        auto c = co_await pool.take();
        const http::response r = co_await c->get("127.0.0.1", page_target(k));
        pool.give_back(std::move(c));
        co_return r.body.size();
      };
      std::vector<task<std::size_t>> mine;
      for (std::size_t k = i; k < pages; k += n) mine.push_back(limit.run(one(k)));
      std::size_t bytes = 0;
      for (auto s : co_await io::when_all(std::move(mine))) bytes += s;
      co_return bytes;
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

void register_http(bool quick) {
  const int rounds = quick ? 1 : 3;
  benchmark::RegisterBenchmark("http/switchyard", http_switchyard)->Iterations(rounds)->UseManualTime();
  benchmark::RegisterBenchmark("http/switchyard_runtime", http_runtime)
      ->ArgName("contexts")->Arg(1)->Arg(static_cast<std::int64_t>(io::runtime(0).size()))->Iterations(rounds)->UseManualTime();
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

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 0;
  return sb::suite_main(
      argc, argv, "io_bench: the I/O layer beside a pread pool, fio, threads and wrk",
      [&](CLI::App& app) { sb::add_nginx_port(app, port); },
      [&](const sb::suite_settings& settings) {
        nginx_port = static_cast<std::uint16_t>(port);
        if (settings.quick) {
          file_bytes = std::size_t{256} << 20;
          reads_per_run = 50'000;
          sweep_requests = 2'000;
          peer_seconds = 1;
        }
        // fio right after ours, as the figure asks.
        benchmark::RegisterBenchmark("io_random_read/switchyard", random_reads_switchyard)->Iterations(3)->UseManualTime();
        auto* fio = benchmark::RegisterBenchmark("io_random_read/fio", [](benchmark::State& s) { random_reads_fio(s, "io_uring", 1); })
                        ->Iterations(1)->UseManualTime();
        if (settings.quick) fio->Repetitions(1);
        // A context per core against fio's jobs per core, right after (issue 16).
        benchmark::RegisterBenchmark("io_random_read/switchyard_runtime", random_reads_runtime)
            ->ArgName("contexts")->Arg(1)->Arg(static_cast<std::int64_t>(io::runtime(0).size()))->Iterations(3)->UseManualTime();
        for (const char* engine : {"io_uring", "psync"}) {
          const std::string name = std::string("io_random_read/fio_") + engine + "_2_jobs";
          auto* jobs = benchmark::RegisterBenchmark(name.c_str(), [engine](benchmark::State& s) { random_reads_fio(s, engine, 2); })
                           ->Iterations(1)->UseManualTime();
          if (settings.quick) jobs->Repetitions(1);
        }
        benchmark::RegisterBenchmark("io_random_read/pread_pool_64", random_reads_pread_pool)->Iterations(3)->UseManualTime();
        if (nginx_port != 0) register_http(settings.quick);
        benchmark::RegisterBenchmark("task/await_empty", spawn_and_await)->Iterations(3)->UseManualTime()->Unit(benchmark::kNanosecond);
        benchmark::RegisterBenchmark("task/spawn_detached_empty", spawn_detached)->Iterations(3)->UseManualTime()->Unit(benchmark::kNanosecond);
        for (const bool fallback : {false, true}) {
          benchmark::RegisterBenchmark(fallback ? "cancel/when_all_sleepers/fallback" : "cancel/when_all_sleepers/io_uring",
                                       [fallback](benchmark::State& s) { cancel_sleepers(s, fallback); })
              ->ArgName("sleepers")->Arg(20'000)->Arg(100'000)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        }
        benchmark::RegisterBenchmark("offload/round_trip", offload_round_trip)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);
        return 0;
      });
}
