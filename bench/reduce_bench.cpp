// The reduction benchmark: switchyard's backends beside the peers a user
// would otherwise pick, on the sizes the foundation issue names, plus the
// accuracy modes' cost, the simd/threads crossover that sets
// backend::automatic's threshold, and the processes backend
// (processes_cases.cpp). Run through `./sy bench`.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "peers/peers.hpp"
#include "processes_cases.hpp"
#include "report.hpp"
#include "support/huge_array.hpp"
#include "support/interleaved.hpp"
#include "support/median.hpp"

namespace sy = switchyard;
namespace sb = switchyard::bench;

namespace {

constexpr std::size_t kib = 1024;
constexpr std::size_t l2_bytes = 64 * kib;          // the "L2-resident" size
constexpr std::size_t dram_bytes = std::size_t{2} << 30;  // 2 GiB
constexpr std::size_t accuracy_dram_bytes = std::size_t{256} << 20;

/// Page-touched buffers of each size, made once and shared by all runs.
std::span<const float> floats(std::size_t bytes) {
  static std::map<std::size_t, std::unique_ptr<sb::huge_array>> cache;
  auto& slot = cache[bytes];
  if (!slot) {
    slot = std::make_unique<sb::huge_array>(bytes, [](std::size_t i) { return static_cast<float>(i % 7) * 0.25f; });
  }
  return slot->span();
}

void set_bytes(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
}

template <class F>
void run(benchmark::State& state, std::size_t bytes, F f) {
  const auto v = floats(bytes);
  for (auto _ : state) benchmark::DoNotOptimize(f(v));
  set_bytes(state, bytes);
}

// ---- float sum at 64 KiB: simd against std::accumulate -O2 and omp simd -O3 -march=native
void register_l2() {
  benchmark::RegisterBenchmark("sum_64KiB/accumulate_O2", [](benchmark::State& s) {
    run(s, l2_bytes, [](const auto& v) { return sb::accumulate_o2(v.data(), v.size()); });
  });
  benchmark::RegisterBenchmark("sum_64KiB/omp_simd_native", [](benchmark::State& s) {
    run(s, l2_bytes, [](const auto& v) { return sb::omp_simd_native(v.data(), v.size()); });
  });
  for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
    const std::string name = "sum_64KiB/simd_" + std::string(sy::to_string(a));
    benchmark::RegisterBenchmark(name.c_str(), [a](benchmark::State& s) {
      run(s, l2_bytes, [a](const auto& v) { return sy::sum(v, {.backend = sy::backend::simd, .accuracy = a}); });
    });
  }
}

// ---- float sum at 2 GiB: threads against a plain 2-thread read loop and
// std::reduce(par_unseq), in interleaved rounds (support/interleaved.hpp);
// the figures are medians of per-round ratios.
void register_dram() {
  benchmark::RegisterBenchmark("sum_2GiB/interleaved", [](benchmark::State& state) {
    const auto v = floats(dram_bytes);
    const std::vector<std::pair<std::string, std::function<float()>>> variants{
        {"read_loop_2_threads", [&] { return sb::read_loop_threads(v.data(), v.size(), 2); }},
        {"std_reduce_par_unseq", [&] { return sb::std_reduce_par_unseq(v.data(), v.size()); }},
        {"threads_fast", [&] { return sy::sum(v, {.backend = sy::backend::threads, .accuracy = sy::accuracy::fast}); }},
        {"threads", [&] { return sy::sum(v, {.backend = sy::backend::threads}); }},
        {"simd", [&] { return sy::sum(v, {.backend = sy::backend::simd}); }},
    };
    std::vector<std::function<void()>> runs;
    for (const auto& [name, f] : variants) runs.emplace_back([&f] { benchmark::DoNotOptimize(f()); });
    const auto seconds = sb::time_interleaved(state, runs);
    auto index = [&](const std::string& name) {
      for (std::size_t j = 0; j < variants.size(); ++j) {
        if (variants[j].first == name) return j;
      }
      return std::size_t{0};
    };
    auto ratio = [&](const std::string& slow, const std::string& fast) {
      return sb::median_ratio(seconds[index(slow)], seconds[index(fast)]);
    };
    for (std::size_t j = 0; j < variants.size(); ++j) {
      state.counters[variants[j].first + "_GBps"] = double(dram_bytes) / sb::median(seconds[j]) / 1e9;
    }
    state.counters["threads_vs_read_loop"] = ratio("read_loop_2_threads", "threads");
    state.counters["threads_fast_vs_read_loop"] = ratio("read_loop_2_threads", "threads_fast");
    state.counters["threads_vs_std_reduce"] = ratio("std_reduce_par_unseq", "threads");
    state.counters["threads_fast_vs_std_reduce"] = ratio("std_reduce_par_unseq", "threads_fast");
  })->Iterations(15)->UseManualTime()->Unit(benchmark::kMillisecond);
}

// ---- automatic at 1,000 elements against forcing simd
void register_small() {
  benchmark::RegisterBenchmark("sum_1000/simd", [](benchmark::State& s) {
    run(s, 4000, [](const auto& v) { return sy::sum(v, {.backend = sy::backend::simd}); });
  });
  benchmark::RegisterBenchmark("sum_1000/automatic", [](benchmark::State& s) {
    run(s, 4000, [](const auto& v) { return sy::sum(v); });
  });
}

// ---- the accuracy modes at an L2-resident and a DRAM size, on one and on all threads
void register_accuracy() {
  for (std::size_t bytes : {std::size_t{512} * kib, accuracy_dram_bytes}) {
    for (auto b : {sy::backend::simd, sy::backend::threads}) {
      for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
        const std::string name = "accuracy_" + std::to_string(bytes / kib) + "KiB/" +
                                 std::string(sy::to_string(b)) + "_" + std::string(sy::to_string(a));
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) {
          run(s, bytes, [=](const auto& v) { return sy::sum(v, {.backend = b, .accuracy = a}); });
        })->UseRealTime();
      }
    }
  }
}

// ---- where threads start to beat simd: the threshold automatic uses. Dense
// around 256 KiB, one chunk of floats: below it threads has one chunk to run.
void register_crossover() {
  for (const int kib_count : sb::kCrossoverKiB) {
    const auto k = static_cast<std::size_t>(kib_count);
    for (auto b : {sy::backend::simd, sy::backend::threads}) {
      const std::string name = "crossover_" + std::to_string(k) + "KiB/" + std::string(sy::to_string(b));
      benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) {
        run(s, k * kib, [=](const auto& v) { return sy::sum(v, {.backend = b}); });
      })->UseRealTime();
    }
  }
}

// ---- the other ops, for the record
void register_ops() {
  for (std::size_t bytes : {l2_bytes, accuracy_dram_bytes}) {
    const std::string size = std::to_string(bytes / kib) + "KiB";
    benchmark::RegisterBenchmark(("ops_" + size + "/argmin_simd").c_str(), [=](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sy::argmin(v, {.backend = sy::backend::simd}); });
    })->UseRealTime();
    benchmark::RegisterBenchmark(("ops_" + size + "/minmax_simd").c_str(), [=](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sy::minmax(v, {.backend = sy::backend::simd}); });
    })->UseRealTime();
    benchmark::RegisterBenchmark(("ops_" + size + "/dot_simd").c_str(), [=](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sy::dot(v, v, {.backend = sy::backend::simd}); });
    })->UseRealTime();
    benchmark::RegisterBenchmark(("ops_" + size + "/count_gt_simd").c_str(), [=](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sy::count_if(v, sy::gt(1.0f), {.backend = sy::backend::simd}); });
    })->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string report_path = "bench-report.md";
  std::vector<char*> args = sb::take_flags(argc, argv, {{"--report=", &report_path}});
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  register_l2();
  register_small();
  register_crossover();
  register_accuracy();
  register_ops();
  register_dram();
  sb::register_processes();
  sb::collecting_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  sb::write_report(reporter, report_path);
  benchmark::Shutdown();
  return 0;
}
