// The processes suite: the backend beside threads and beside the tools a user
// would otherwise reach for: multiprocessing.Pool, and reading the parent's
// memory with process_vm_readv (the option not built for std::vector input).
#include "processes_cases.hpp"

#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include <switchyard/switchyard.hpp>

#include "support/huge_array.hpp"
#include "support/interleaved.hpp"
#include "support/median.hpp"
#include "support/run_program.hpp"
#include "support/spinning_processes.hpp"
#include "support/suite_main.hpp"

namespace switchyard::bench {
namespace {

namespace sy = switchyard;
constexpr sy::options on_processes{.backend = sy::backend::processes};
constexpr sy::options on_threads{.backend = sy::backend::threads};

float value_at(std::size_t i) { return static_cast<float>(i % 7) * 0.25f; }

sy::shared_array<float>& shared_floats(std::size_t n) {
  static std::unique_ptr<sy::shared_array<float>> a;
  if (!a || a->size() != n) {
    a = std::make_unique<sy::shared_array<float>>(n);
    for (std::size_t i = 0; i < n; ++i) (*a)[i] = value_at(i);
  }
  return *a;
}

/// The same values in ordinary (not shared) memory, as a std::vector's.
std::span<const float> vector_floats(std::size_t bytes) {
  static huge_array a(bytes, value_at);
  return a.span();
}

/// The process_vm_readv option: `workers` reader processes, each over its
/// share of v, run at once; the time of the slowest reader's pass (its own
/// clock, so process start-up is left out, as a pool would leave it out).
double vm_readv_seconds(std::span<const float> v, unsigned workers) {
  std::vector<std::thread> readers;
  std::vector<double> seconds(workers, 0);
  for (unsigned w = 0; w < workers; ++w) {
    readers.emplace_back([&, w] {
      char address[32];
      std::snprintf(address, sizeof address, "%lx", reinterpret_cast<unsigned long>(v.data()));
      const std::string text = output_of({VM_READV_READER, std::to_string(getpid()), address,
                                          std::to_string(w * v.size() / workers),
                                          std::to_string((w + 1) * v.size() / workers), "1"});
      double sum = 0, t = 0;
      if (std::sscanf(text.c_str(), "%lf %lf", &sum, &t) == 2) seconds[w] = t;
    });
  }
  for (auto& r : readers) r.join();
  double slowest = 0;
  for (double s : seconds) slowest = s > 0 && slowest >= 0 ? std::max(slowest, s) : -1;
  return slowest;
}

void register_overhead() {
  for (const char* input : {"shared_array", "vector"}) {
    const std::string name = std::string("processes_4KiB/") + input;
    const bool shared = std::string(input) == "shared_array";
    benchmark::RegisterBenchmark(name.c_str(), [shared](benchmark::State& state) {
      const auto& a = shared_floats(1024);
      const std::vector<float> v(a.begin(), a.end());
      const std::span<const float> in = shared ? std::span<const float>(a) : std::span<const float>(v);
      for (auto _ : state) benchmark::DoNotOptimize(sy::sum(in, on_processes));
    })->UseRealTime()->Unit(benchmark::kMicrosecond);
  }
}

/// sy::sum of `in` on threads and on processes in interleaved rounds
/// (support/interleaved.hpp), as for the threads figures in DRAM; counters
/// threads<suffix>_GBps, processes<suffix>_GBps and
/// processes<suffix>_vs_threads. Returns seconds[threads, processes][round].
std::vector<std::vector<double>> time_threads_and_processes(benchmark::State& state, std::span<const float> in,
                                                            const std::string& suffix,
                                                            const std::function<void()>& after_round = {}) {
  auto sum_on = [in](const sy::options& o) -> std::function<void()> {
    return [in, o] { benchmark::DoNotOptimize(sy::sum(in, o)); };
  };
  const auto seconds = time_interleaved(state, {sum_on(on_threads), sum_on(on_processes)}, after_round);
  const double gb = double(in.size_bytes()) / 1e9;
  state.counters["bytes"] = double(in.size_bytes());
  state.counters["threads" + suffix + "_GBps"] = gb / median(seconds[0]);
  state.counters["processes" + suffix + "_GBps"] = gb / median(seconds[1]);
  state.counters["processes" + suffix + "_vs_threads"] = median_ratio(seconds[1], seconds[0]);
  return seconds;
}

/// A call of a few chunks, where every worker takes part: its time is the
/// hand-off (the wake-ups and the waits), beside threads' in the same rounds
/// (docs/PERF.md, "Spinning that yields").
void register_small(int rounds) {
  benchmark::RegisterBenchmark("processes_1MiB/interleaved", [](benchmark::State& state) {
    const auto& shared = shared_floats((std::size_t{1} << 20) / sizeof(float));
    const auto seconds = time_threads_and_processes(state, shared, "");
    state.counters["processes_us"] = median(seconds[1]) * 1e6;
    state.counters["threads_us"] = median(seconds[0]) * 1e6;
  })->Iterations(rounds)->UseManualTime()->Unit(benchmark::kMicrosecond);
}

// The DRAM cases. The staged call (a std::vector on processes) keeps the
// parent copying on one core while the workers reduce, which on a 2-core
// machine leaves both workers on the other; the next processes call took up
// to 1.7x its time until the scheduler spread them (docs/PERF.md, "After a
// staged call"), and now wakes them apart ("Workers woken apart"). So the
// shared_array's pair runs apart from the vector's, and after_staged times
// the call right after a staged one against the call after it.
void register_dram(std::size_t bytes, int rounds) {
  benchmark::RegisterBenchmark("processes_dram/interleaved", [bytes](benchmark::State& state) {
    const auto& shared = shared_floats(bytes / sizeof(float));
    time_threads_and_processes(state, shared, "");
  })->Iterations(rounds)->UseManualTime()->Unit(benchmark::kMillisecond);

  benchmark::RegisterBenchmark("processes_dram/vector", [bytes](benchmark::State& state) {
    const auto vec = vector_floats(bytes);
    std::vector<double> readv;
    const auto seconds = time_threads_and_processes(state, vec, "_vector", [&] {
      if (const double t = vm_readv_seconds(vec, sy::default_engine().max_threads()); t > 0) readv.push_back(t);
    });
    if (!readv.empty()) {
      state.counters["vm_readv_GBps"] = double(vec.size_bytes()) / 1e9 / median(readv);
      state.counters["vm_readv_vs_threads"] = median_ratio(readv, seconds[0]);
    }
  })->Iterations(rounds)->UseManualTime()->Unit(benchmark::kMillisecond);

  // Beside another program that keeps a core busy (running and stopped in
  // alternate halves of each round): a worker on that core runs at half
  // speed, and the others must take on its share (threads steal work; the
  // processes backend's workers claim chunks as they go: docs/PERF.md,
  // "Chunks claimed as the workers go"). On two cores the other program
  // leaves one and a half, so the best is 1.33x the idle time; a fixed half
  // per worker takes 2x. Counters: <backend>_busy_vs_idle.
  benchmark::RegisterBenchmark("processes_dram/beside_busy_core", [bytes](benchmark::State& state) {
    const auto& shared = shared_floats(bytes / sizeof(float));
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) {
      state.SkipWithError("needs two cores, one to keep busy");
      return;
    }
    const spinning_processes other_program(1, true);
    if (other_program.size() != 1) {
      state.SkipWithError("could not start the program that keeps a core busy (fork failed)");
      return;
    }
    std::vector<double> seconds[2][2];  // [idle, busy][threads, processes]
    int round = 0;
    for (auto _ : state) {
      double total = 0;
      for (const bool busy : {round % 2 == 0, round % 2 != 0}) {
        other_program.run(busy);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // for the scheduler to place it
        for (const int backend : {round % 2, 1 - round % 2}) {
          const auto t0 = std::chrono::steady_clock::now();
          benchmark::DoNotOptimize(sy::sum(shared, backend == 0 ? on_threads : on_processes));
          seconds[busy][backend].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          total += seconds[busy][backend].back();
        }
      }
      ++round;
      state.SetIterationTime(total);
    }
    const double gb = double(shared.size() * sizeof(float)) / 1e9;
    state.counters["threads_beside_busy_core_GBps"] = gb / median(seconds[1][0]);
    state.counters["processes_beside_busy_core_GBps"] = gb / median(seconds[1][1]);
    state.counters["threads_busy_vs_idle"] = median_ratio(seconds[1][0], seconds[0][0]);
    state.counters["processes_busy_vs_idle"] = median_ratio(seconds[1][1], seconds[0][1]);
  })->Iterations(rounds)->UseManualTime()->Unit(benchmark::kMillisecond);

  // What a staged call leaves behind: each round a staged call (untimed),
  // then the shared_array on processes twice, in that order; the counter is
  // the first's time over the second's (docs/PERF.md, "Workers woken apart").
  benchmark::RegisterBenchmark("processes_dram/after_staged", [bytes](benchmark::State& state) {
    const auto& shared = shared_floats(bytes / sizeof(float));
    const auto vec = vector_floats(bytes);
    std::vector<double> after, next;
    auto timed = [&](std::vector<double>& into) {
      const auto t0 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(sy::sum(shared, on_processes));
      into.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      return into.back();
    };
    for (auto _ : state) {
      benchmark::DoNotOptimize(sy::sum(vec, on_processes));
      state.SetIterationTime(timed(after) + timed(next));
    }
    state.counters["after_staged_vs_next"] = median_ratio(after, next);
  })->Iterations(2 * rounds)->UseManualTime()->Unit(benchmark::kMillisecond);
}

void register_multiprocessing() {
  benchmark::RegisterBenchmark("processes_64MiB/vs_multiprocessing", [](benchmark::State& state) {
    constexpr std::size_t n = (std::size_t{64} << 20) / sizeof(float);
    const auto& a = shared_floats(n);
    const unsigned workers = sy::default_engine().max_threads();
    std::vector<double> ours;
    double python = 0, python_sum = 0, our_sum = 0;
    for (auto _ : state) {
      const std::string text = output_of({"python3", MULTIPROCESSING_PEER, std::to_string(n), std::to_string(workers),
                                          std::to_string(workers), "5"});
      if (std::sscanf(text.c_str(), "%lf %lf", &python_sum, &python) != 2) {
        state.SkipWithError(("the multiprocessing peer printed: " + text).c_str());
        return;
      }
      for (int i = 0; i < 20; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        our_sum = sy::sum(a, on_processes);
        ours.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      state.SetIterationTime(median(ours));
    }
    state.counters["multiprocessing_ms"] = python * 1e3;
    state.counters["processes_ms"] = median(ours) * 1e3;
    state.counters["speedup_over_multiprocessing"] = python / median(ours);
    state.counters["multiprocessing_sum"] = python_sum;
    state.counters["processes_sum"] = our_sum;
  })->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

int register_processes(bool quick) {
  if (const auto a = sy::availability(sy::backend::processes); !a.available) {
    std::fprintf(stderr, "processes_bench: the processes backend is not available here: %s\n", a.reason.c_str());
    return suite_skipped;
  }
  register_overhead();
  register_small(quick ? 201 : 1001);
  register_dram(quick ? std::size_t{256} << 20 : std::size_t{1} << 30, quick ? 5 : 9);
  register_multiprocessing();
  return 0;
}

}  // namespace switchyard::bench
