// The I/O layer's benchmark: random 4 KiB reads from a file in the page
// cache (against a 64-thread pread pool and fio's io_uring engine), HTTP
// requests to a local nginx (against one thread per request, a 64-thread
// pool and wrk), and the cost of spawning a task and of an offload round
// trip. Ratios come from runs in this one process.
//   io_bench [--nginx-port=P] [--report=FILE] [Google Benchmark flags]
// Without a port the HTTP cases are skipped; examples/run_with_nginx.sh
// starts nginx and passes one (./sy bench does).
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
#include "report.hpp"
#include "support/median.hpp"
#include "support/run_program.hpp"

namespace io = switchyard::io;
namespace sb = switchyard::bench;
using switchyard::task;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t file_bytes = std::size_t{1} << 30;
constexpr std::size_t block = 4096;
constexpr std::size_t depth = 64;
constexpr std::size_t reads_per_run = 200'000;
constexpr std::size_t pages = 10'000;
constexpr std::size_t connections = 64;

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

void random_reads_fio(benchmark::State& state) {
  auto& file = the_file();
  double iops = 0;
  for (auto _ : state) {
    const std::string text = sb::output_of({"fio", "--name=randread", "--filename=" + file.path, "--rw=randread", "--bs=4k",
                                        "--ioengine=io_uring", "--iodepth=64", "--size=1G", "--invalidate=0", "--time_based",
                                        "--runtime=3", "--output-format=json"});
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

void http_switchyard(benchmark::State& state) {
  io::context ctx;
  for (auto _ : state) {
    auto run = [&]() -> task<std::size_t> {
      http::connection_pool pool(ctx, nginx_port);
      io::limiter in_flight(ctx, connections);
      auto one = [&](std::size_t i) -> task<std::size_t> {
        auto c = co_await pool.take();
        const http::response r = co_await c->get("127.0.0.1", page_target(i));
        pool.give_back(std::move(c));
        co_return r.body.size();
      };
      std::vector<task<std::size_t>> all;
      for (std::size_t i = 0; i < pages; ++i) all.push_back(in_flight.run(one(i)));
      const auto sizes = co_await io::when_all(std::move(all));
      std::size_t bytes = 0;
      for (auto s : sizes) bytes += s;
      co_return bytes;
    };
    const auto t0 = clock_type::now();
    const std::size_t bytes = ctx.run(run());
    state.SetIterationTime(seconds_since(t0));
    if (bytes != pages * 4096) state.SkipWithError("wrong number of bytes");
  }
  state.counters["req_per_s"] = benchmark::Counter(double(pages) * double(state.iterations()), benchmark::Counter::kIsRate);
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

void http_thread_pool(benchmark::State& state) {
  for (auto _ : state) {
    const auto t0 = clock_type::now();
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < connections; ++w) {
      pool.emplace_back([&] {
        const int fd = blocking_connect();
        std::string pending;
        for (std::size_t i; (i = next.fetch_add(1)) < pages;) (void)blocking_get(fd, page_target(i), pending);
        ::close(fd);
      });
    }
    for (auto& t : pool) t.join();
    state.SetIterationTime(seconds_since(t0));
  }
  state.counters["req_per_s"] = benchmark::Counter(double(pages) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void http_wrk(benchmark::State& state) {
  double rps = 0;
  for (auto _ : state) {
    const std::string text = sb::output_of({"wrk", "-t2", "-c64", "-d3s",
                                        "http://127.0.0.1:" + std::to_string(nginx_port) + page_target(0)});
    const auto at = text.find("Requests/sec:");
    if (at == std::string::npos) {
      state.SkipWithError(("wrk did not run: " + text).c_str());
      return;
    }
    rps = std::stod(text.substr(at + 13));
    state.SetIterationTime(double(pages) / rps);
  }
  state.counters["req_per_s"] = rps;
}

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

void write_io_report(const sb::collecting_reporter& r, const std::string& path) {
  auto rate = [&](const std::string& name, const char* counter) { return r.counter(name, counter); };
  std::ostringstream md;
  md << "# switchyard I/O benchmark\n\n| figure | goal | measured | |\n|---|---|---|---|\n";
  auto row = [&](const std::string& what, const std::string& goal, double v, bool met, bool has_goal = true) {
    if (v <= 0) return;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    md << "| " << what << " | " << goal << " | " << buf << " | " << (has_goal ? (met ? "met" : "MISSED") : "") << " |\n";
  };
  const double ours = rate("io_random_read/switchyard", "IOPS");
  const double pool = rate("io_random_read/pread_pool_64", "IOPS");
  const double fio = rate("io_random_read/fio", "IOPS");
  row("4 KiB random reads, 1 GiB cached file, depth 64: IOPS / 64-thread pread pool", ">= 2", pool > 0 ? ours / pool : 0, ours >= 2 * pool);
  row("4 KiB random reads: IOPS / fio io_uring engine (depth 64)", ">= 0.9", fio > 0 ? ours / fio : 0, ours >= 0.9 * fio);
  const double h = rate("http/switchyard", "req_per_s");
  const double tpr = rate("http/thread_per_request", "req_per_s");
  const double tp = rate("http/thread_pool_64", "req_per_s");
  const double wrk = rate("http/wrk", "req_per_s");
  row("10,000 4 KiB pages from nginx, 64 keep-alive connections: req/s / thread per request", ">= 3", tpr > 0 ? h / tpr : 0, h >= 3 * tpr);
  row("the same: req/s / 64-thread pool", ">= 1.5", tp > 0 ? h / tp : 0, h >= 1.5 * tp);
  row("the same: req/s / wrk (-t2 -c64)", ">= 0.8", wrk > 0 ? h / wrk : 0, h >= 0.8 * wrk);
  const double spawn_ns = r.counter("task/await_empty", "ns_per_task");
  row("spawn and await an empty task (ns)", "<= 100", spawn_ns, spawn_ns <= 100);
  const double detached_ns = r.counter("task/spawn_detached_empty", "ns_per_task");
  row("spawn a detached empty task and let it run (ns)", "(no goal)", detached_ns, true, false);
  const double off = rate("offload/round_trip", "median_us");
  row("offload round trip of an empty function (us, median)", "<= 20", off, off <= 20);
  md << "\nAbsolute: reads " << ours << " IOPS (pread pool " << pool << ", fio " << fio << "); HTTP " << h
     << " req/s (thread per request " << tpr << ", pool " << tp << ", wrk " << wrk << ")\n";
  std::ofstream(path) << md.str();
  std::printf("\n%s", md.str().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string report = "io-bench-report.md", port;
  std::vector<char*> args = sb::take_flags(argc, argv, {{"--report=", &report}, {"--nginx-port=", &port}});
  if (!port.empty()) nginx_port = static_cast<std::uint16_t>(std::stoul(port));
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  // fio right after ours, as the figure asks.
  benchmark::RegisterBenchmark("io_random_read/switchyard", random_reads_switchyard)->Iterations(3)->UseManualTime();
  benchmark::RegisterBenchmark("io_random_read/fio", random_reads_fio)->Iterations(1)->UseManualTime();
  benchmark::RegisterBenchmark("io_random_read/pread_pool_64", random_reads_pread_pool)->Iterations(3)->UseManualTime();
  if (nginx_port != 0) {
    benchmark::RegisterBenchmark("http/switchyard", http_switchyard)->Iterations(3)->UseManualTime();
    benchmark::RegisterBenchmark("http/wrk", http_wrk)->Iterations(1)->UseManualTime();
    benchmark::RegisterBenchmark("http/thread_pool_64", http_thread_pool)->Iterations(3)->UseManualTime();
    benchmark::RegisterBenchmark("http/thread_per_request", http_thread_per_request)->Iterations(1)->UseManualTime();
  }
  benchmark::RegisterBenchmark("task/await_empty", spawn_and_await)->Iterations(3)->UseManualTime()->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark("task/spawn_detached_empty", spawn_detached)->Iterations(3)->UseManualTime()->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark("offload/round_trip", offload_round_trip)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);
  sb::collecting_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  write_io_report(reporter, report);
  benchmark::Shutdown();
  return 0;
}
