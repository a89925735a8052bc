// The I/O suite: random 4 KiB reads from a file in the page cache (against a
// 64-thread pread pool and fio's io_uring engine), HTTP requests to a local
// nginx (against one thread per request, a 64-thread pool and wrk), HTTP
// throughput against the number of requests in flight (the io_uring context,
// the fallback, a thread pool and wrk), and the cost of spawning a task and
// of an offload round trip. `switchyard bench` runs it (suite `io`) with an
// nginx of its own; alone:
//   io_bench [--quick] [--nginx-port P] [Google Benchmark flags]
// Without a port the HTTP cases (io_bench_http.cpp) are left out.
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
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <switchyard/io.hpp>

#include "io_bench.hpp"
#include "support/median.hpp"
#include "support/run_program.hpp"
#include "support/suite_main.hpp"

namespace io = switchyard::io;
namespace sb = switchyard::bench;
using switchyard::task;

namespace {

using namespace switchyard::bench::io_suite;

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

// ---- hops between two contexts of a runtime: `hoppers` tasks go back and
// forth 10,000 times each, on the given backend (both contexts, each pinned
// to its own core where there are two). Time per one-way hop over all of
// them (with one hopper that is the latency of waking the other thread;
// with many, what a hop costs when the loops are busy), and CPU time.
void runtime_hop(benchmark::State& state, bool fallback) {
  const auto hoppers = static_cast<std::size_t>(state.range(0));
  if (fallback) ::setenv("SWITCHYARD_IO_BACKEND", "fallback", 1);
  io::runtime rt(2, io::placement::own_core);
  if (fallback) ::unsetenv("SWITCHYARD_IO_BACKEND");
  constexpr int round_trips = 10'000;
  auto hopper = [](io::runtime& r) -> task<void> {
    const std::size_t home = r.index_of(*io::runtime::current());
    for (int i = 0; i < round_trips; ++i) {
      co_await r.switch_to(1 - home);
      co_await r.switch_to(home);
    }
  };
  auto all = [&](io::runtime& r) -> task<void> {
    std::vector<task<void>> each;
    for (std::size_t i = 0; i < hoppers; ++i) each.push_back(hopper(r));
    co_await io::when_all(std::move(each));
  };
  // The process's CPU time too: the wall clock of a hop is mostly the other
  // core waking up, the CPU time what the two loops spend on it.
  const auto cpu_seconds = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  for (auto _ : state) {
    const double hops = 2.0 * round_trips * static_cast<double>(hoppers);
    const auto t0 = clock_type::now();
    const double cpu0 = cpu_seconds();
    rt.run(all(rt));
    const double each = seconds_since(t0) / hops;
    state.SetIterationTime(each);
    state.counters["ns_per_hop"] = each * 1e9;
    state.counters["cpu_ns_per_hop"] = (cpu_seconds() - cpu0) / hops * 1e9;
  }
  state.SetLabel(std::string(rt.at(0).backend_name()));
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

}  // namespace

int main(int argc, char** argv) {
  return sb::suite_main(
      argc, argv, "io_bench: the I/O layer beside a pread pool, fio, threads and wrk",
      {.nginx_port = true},
      [](const sb::suite_settings& settings) {
        nginx_port = settings.nginx_port;
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
        register_static_server(settings.quick);
        benchmark::RegisterBenchmark("task/await_empty", spawn_and_await)->Iterations(3)->UseManualTime()->Unit(benchmark::kNanosecond);
        benchmark::RegisterBenchmark("task/spawn_detached_empty", spawn_detached)->Iterations(3)->UseManualTime()->Unit(benchmark::kNanosecond);
        for (const bool fallback : {false, true}) {
          benchmark::RegisterBenchmark(fallback ? "cancel/when_all_sleepers/fallback" : "cancel/when_all_sleepers/io_uring",
                                       [fallback](benchmark::State& s) { cancel_sleepers(s, fallback); })
              ->ArgName("sleepers")->Arg(20'000)->Arg(100'000)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        }
        for (const bool fallback : {false, true}) {
          benchmark::RegisterBenchmark(fallback ? "runtime/hop/fallback" : "runtime/hop/io_uring",
                                       [fallback](benchmark::State& s) { runtime_hop(s, fallback); })
              ->ArgName("hoppers")->Arg(1)->Arg(64)->Iterations(3)->UseManualTime()->Unit(benchmark::kNanosecond);
        }
        benchmark::RegisterBenchmark("offload/round_trip", offload_round_trip)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);
        return 0;
      });
}
