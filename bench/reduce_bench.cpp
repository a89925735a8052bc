// The reduction suite: switchyard's backends beside the peers a user would
// otherwise pick. A sweep of every op over sizes from the L1 cache to DRAM
// (the throughput plots), and the cases the goals name: the float sum at
// 64 KiB against std::accumulate and omp simd, automatic at 1,000 elements,
// the accuracy modes' cost, where threads start to beat simd, each op on a
// buffer aligned and as malloc places it, and the sum in DRAM against a plain
// read loop on every core and std::reduce(par_unseq); and the kernels'
// tuning for this CPU against each alternative (tuning_check.hpp).
// `switchyard bench` runs it (suite `reduce`); alone:
//   reduce_bench [--quick] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "peers/peers.hpp"
#include "support/interleaved.hpp"
#include "support/median.hpp"
#include "support/reduce_inputs.hpp"
#include "support/suite_main.hpp"
#include "tuning_check.hpp"

namespace sy = switchyard;
namespace sb = switchyard::bench;

namespace {

constexpr std::size_t kib = 1024;
constexpr std::size_t mib = kib * kib;
constexpr std::size_t l2_bytes = 64 * kib;  // the "L2-resident" size

/// Sizes of the crossover runs, in KiB: dense around 256 KiB, one chunk of floats.
constexpr int crossover_kib[] = {128, 256, 272, 288, 320, 384, 512, 768, 1024, 2048};

/// Sizes that --quick shrinks: DRAM-resident still (over 4x the last-level
/// cache of the machines we run on), a quarter of the time.
struct sizes {
  std::size_t dram;           // the bandwidth figures
  std::size_t accuracy_dram;  // the accuracy modes' cost in DRAM
  std::size_t sweep_largest;  // the throughput plots' last size
  std::size_t sweep_step;     // ratio of neighbouring sizes in the sweep
  double sweep_min_seconds;   // each sweep case's minimum time
  int dram_rounds;
};

sizes sizes_for(bool quick) {
  if (quick) return {512 * mib, 256 * mib, 256 * mib, 4, 0.02, 7};
  return {2048 * mib, 256 * mib, 1024 * mib, 2, 0.2, 15};
}

std::string size_name(std::size_t bytes) {
  return bytes >= mib && bytes % mib == 0 ? std::to_string(bytes / mib) + "MiB" : std::to_string(bytes / kib) + "KiB";
}

void set_bytes(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
}

template <class F>
void run(benchmark::State& state, std::size_t bytes, F f) {
  const auto v = sb::reduce_input(bytes);
  for (auto _ : state) benchmark::DoNotOptimize(f(v));
  set_bytes(state, bytes);
}

// ---- float sum at 64 KiB: simd against std::accumulate -O2, omp simd -O3
// -march=native and the hand-written loop; and the fixed cost of one call
// (a 1 KiB sum) beside the hand-written loop's.
void register_l2() {
  for (const std::size_t bytes : {std::size_t{kib}, l2_bytes}) {
    const std::string size = size_name(bytes);
    benchmark::RegisterBenchmark(("sum_" + size + "/handwritten").c_str(), [bytes](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sb::handwritten_sum(v.data(), v.size()); });
      s.SetLabel(sb::handwritten_sum_isa());
    });
  }
  benchmark::RegisterBenchmark("sum_1KiB/simd_fast", [](benchmark::State& s) {
    run(s, kib, [](const auto& v) { return sy::sum(v, {.backend = sy::backend::simd, .accuracy = sy::accuracy::fast}); });
  });
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
  // A double sum's modes, from a std::vector: compensated, the default, is
  // Neumaier's step in double lanes here (a float sum's widens instead).
  for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
    const std::string name = "sum_64KiB_double/simd_" + std::string(sy::to_string(a));
    benchmark::RegisterBenchmark(name.c_str(), [a](benchmark::State& s) {
      static const std::vector<double> v = [] {
        std::vector<double> d(l2_bytes / sizeof(double));
        for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<double>(i % 7) * 0.25;
        return d;
      }();
      for (auto _ : s) benchmark::DoNotOptimize(sy::sum(v, {.backend = sy::backend::simd, .accuracy = a}));
      set_bytes(s, l2_bytes);
    });
  }
}

// ---- float sum in DRAM: threads against a plain read loop on every core and
// std::reduce(par_unseq), in interleaved rounds (support/interleaved.hpp);
// the figures are medians of per-round ratios.
void register_dram(const sizes& z) {
  const std::size_t dram_bytes = z.dram;
  benchmark::RegisterBenchmark("sum_dram/interleaved", [dram_bytes](benchmark::State& state) {
    const auto v = sb::reduce_input(dram_bytes);
    const unsigned cores = sy::default_engine().max_threads();
    const auto [dot_x, dot_y] = sb::dot_inputs(v);  // a page more than half the buffer apart
    const std::vector<std::pair<std::string, std::function<float()>>> variants{
        {"read_loop_all_cores", [&] { return sb::read_loop_threads(v.data(), v.size(), cores); }},
        {"handwritten_all_cores", [&] { return sb::handwritten_sum_threads(v.data(), v.size(), cores); }},
        {"handwritten_1_thread", [&] { return sb::handwritten_sum(v.data(), v.size()); }},
        {"simd_fast", [&] { return sy::sum(v, {.backend = sy::backend::simd, .accuracy = sy::accuracy::fast}); }},
        {"std_reduce_par_unseq", [&] { return sb::std_reduce_par_unseq(v.data(), v.size()); }},
        {"threads_fast", [&] { return sy::sum(v, {.backend = sy::backend::threads, .accuracy = sy::accuracy::fast}); }},
        {"threads", [&] { return sy::sum(v, {.backend = sy::backend::threads}); }},
        {"simd", [&] { return sy::sum(v, {.backend = sy::backend::simd}); }},
        {"automatic", [&] { return sy::sum(v); }},
        // The other ops on automatic, each reading the same bytes (dot: the
        // two halves less a page, so no byte is read twice).
        {"argmin", [&] { return float(sy::argmin(v)->index); }},
        {"minmax", [&] { return sy::minmax(v)->max; }},
        {"count_gt", [&] { return float(sy::count_if(v, sy::gt(1.0f))); }},
        {"dot", [&] { return sy::dot(dot_x, dot_y); }},
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
    state.counters["peer_threads"] = cores;  // the "all cores" peers' (the harness names it)
    state.counters["bytes"] = double(dram_bytes);
    state.counters["threads_vs_read_loop"] = ratio("read_loop_all_cores", "threads");
    state.counters["threads_fast_vs_read_loop"] = ratio("read_loop_all_cores", "threads_fast");
    state.counters["threads_vs_std_reduce"] = ratio("std_reduce_par_unseq", "threads");
    state.counters["threads_fast_vs_std_reduce"] = ratio("std_reduce_par_unseq", "threads_fast");
    state.counters["threads_vs_handwritten"] = ratio("handwritten_all_cores", "threads");
    state.counters["threads_fast_vs_handwritten"] = ratio("handwritten_all_cores", "threads_fast");
    state.counters["simd_vs_handwritten"] = ratio("handwritten_1_thread", "simd");
    state.counters["simd_fast_vs_handwritten"] = ratio("handwritten_1_thread", "simd_fast");
    state.counters["automatic_vs_handwritten"] = ratio("handwritten_all_cores", "automatic");
    state.counters["automatic_vs_std_reduce"] = ratio("std_reduce_par_unseq", "automatic");
    for (const char* op : {"argmin", "minmax", "count_gt", "dot"}) {
      state.counters[std::string(op) + "_vs_handwritten"] = ratio("handwritten_all_cores", op);
    }
    // The default accuracy's time over fast's, per round (issue 13: <= 1.05).
    state.counters["simd_default_time_vs_fast"] = ratio("simd", "simd_fast");
    state.counters["threads_default_time_vs_fast"] = ratio("threads", "threads_fast");
    state.SetLabel(sb::handwritten_sum_isa());
  })->Iterations(z.dram_rounds)->UseManualTime()->Unit(benchmark::kMillisecond);
}

// ---- automatic at 1,000 elements against forcing simd; and 7 elements,
// fewer than a vector holds, beside 16
void register_small() {
  for (const std::size_t count : {std::size_t{7}, std::size_t{16}}) {
    benchmark::RegisterBenchmark(("sum_" + std::to_string(count) + "/simd").c_str(), [count](benchmark::State& s) {
      run(s, count * sizeof(float), [](const auto& v) { return sy::sum(v, {.backend = sy::backend::simd}); });
    });
  }
  benchmark::RegisterBenchmark("sum_1000/simd", [](benchmark::State& s) {
    run(s, 4000, [](const auto& v) { return sy::sum(v, {.backend = sy::backend::simd}); });
  });
  benchmark::RegisterBenchmark("sum_1000/automatic", [](benchmark::State& s) {
    run(s, 4000, [](const auto& v) { return sy::sum(v); });
  });
}

// ---- the accuracy modes in cache and in DRAM, on one and on all threads
void register_accuracy(const sizes& z) {
  for (const auto& [where, bytes] : {std::pair{"cache", std::size_t{512} * kib}, std::pair{"dram", z.accuracy_dram}}) {
    for (auto b : {sy::backend::simd, sy::backend::threads}) {
      for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
        const std::string name = std::string("accuracy_") + where + "_" + size_name(bytes) + "/" +
                                 std::string(sy::to_string(b)) + "_" + std::string(sy::to_string(a));
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) {
          run(s, bytes, [=](const auto& v) { return sy::sum(v, {.backend = b, .accuracy = a}); });
        })->UseRealTime();
      }
    }
    // One thread's limits for fast and for the default's widening.
    const std::string peer = std::string("accuracy_") + where + "_" + size_name(bytes) + "/handwritten_";
    benchmark::RegisterBenchmark((peer + "fast").c_str(), [=](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sb::handwritten_sum(v.data(), v.size()); });
      s.SetLabel(sb::handwritten_sum_isa());
    })->UseRealTime();
    benchmark::RegisterBenchmark((peer + "widened").c_str(), [=](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sb::handwritten_widened_sum(v.data(), v.size()); });
      s.SetLabel(sb::handwritten_sum_isa());
    })->UseRealTime();
  }
}

// ---- where threads start to beat simd: the threshold automatic uses. Dense
// around 256 KiB, one chunk of floats: below it threads has one chunk to run.
void register_crossover() {
  for (const int kib_count : crossover_kib) {
    const auto k = static_cast<std::size_t>(kib_count);
    for (auto b : {sy::backend::simd, sy::backend::threads}) {
      const std::string name = "crossover_" + std::to_string(k) + "KiB/" + std::string(sy::to_string(b));
      benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) {
        run(s, k * kib, [=](const auto& v) { return sy::sum(v, {.backend = b}); });
      })->UseRealTime();
    }
  }
}

// ---- the other ops at one size in cache and one in DRAM, for the record
void register_ops(const sizes& z) {
  for (std::size_t bytes : {l2_bytes, z.accuracy_dram}) {
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
    benchmark::RegisterBenchmark(("ops_" + size + "/sum_of_squares_simd").c_str(), [=](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sy::sum_of_squares(v, {.backend = sy::backend::simd}); });
    })->UseRealTime();
    benchmark::RegisterBenchmark(("ops_" + size + "/norm2_simd").c_str(), [=](benchmark::State& s) {
      run(s, bytes, [](const auto& v) { return sy::norm2(v, {.backend = sy::backend::simd}); });
    })->UseRealTime();
  }
}

// ---- where the input starts: each op on the 64-byte-aligned buffer and on
// the same bytes 16 bytes past a line, where malloc puts a large
// std::vector's data (its header), in interleaved rounds. The kernels load
// from the first line boundary (kernels/common/alignment.hpp); a ratio near
// 1 says a user's vector runs as fast as the aligned buffers the other cases
// use. At 1 KiB a call is mostly the elements before the first line and
// after the last whole vector.
//
// In DRAM the same bytes are also read from 64, 128 and 192 bytes on, each
// on a line: on the Xeon guest a loop's read speed depended on where in 256
// bytes its input began (count_if over 256 MiB on one thread 14.5 against
// 18.5 GB/s, which start was slow changing with each build; docs/PERF.md,
// "Where the input starts"), so every aligned figure is one of several.
// `<op>_line_offsets_spread`: the slowest of the four line starts' median
// times over the fastest's.
void register_alignment(const sizes& z) {
  for (const std::size_t bytes : {kib, 16 * kib, z.accuracy_dram}) {
    const std::string name = "alignment_" + size_name(bytes) + "/interleaved";
    const bool in_dram = bytes == z.accuracy_dram;
    benchmark::RegisterBenchmark(name.c_str(), [bytes, in_dram](benchmark::State& state) {
      const auto buffer = sb::reduce_input(bytes + 256);
      const std::size_t n = bytes / sizeof(float);
      std::vector<std::pair<std::string, std::span<const float>>> inputs{{"aligned", buffer.first(n)},
                                                                         {"offset16", buffer.subspan(4, n)}};
      if (in_dram) {
        for (const std::size_t line : {1, 2, 3}) inputs.emplace_back("offset" + std::to_string(64 * line), buffer.subspan(16 * line, n));
      }
      const sy::options simd{.backend = sy::backend::simd};
      const sy::options simd_fast{.backend = sy::backend::simd, .accuracy = sy::accuracy::fast};
      const std::vector<std::pair<std::string, std::function<float(std::span<const float>)>>> ops{
          {"sum_fast", [&](auto v) { return sy::sum(v, simd_fast); }},
          {"sum_default", [&](auto v) { return sy::sum(v, simd); }},
          {"argmin", [&](auto v) { return float(sy::argmin(v, simd)->index); }},
          {"minmax", [&](auto v) { return sy::minmax(v, simd)->max; }},
          {"count_gt", [&](auto v) { return float(sy::count_if(v, sy::gt(1.0f), simd)); }},
      };
      // Calls per timing: about a millisecond of work at either size.
      const std::size_t calls = std::max<std::size_t>(1, (32 * mib) / bytes);
      std::vector<std::function<void()>> runs;
      for (const auto& [op, f] : ops) {
        for (const auto& [where, v] : inputs) {
          runs.emplace_back([&f, v, calls] {
            for (std::size_t c = 0; c < calls; ++c) benchmark::DoNotOptimize(f(v));
          });
        }
      }
      const auto seconds = sb::time_interleaved(state, runs);
      const std::size_t per_op = inputs.size();
      for (std::size_t k = 0; k < ops.size(); ++k) {
        const auto& aligned = seconds[per_op * k];
        const auto& offset = seconds[per_op * k + 1];
        state.counters[ops[k].first + "_aligned_GBps"] = double(bytes * calls) / sb::median(aligned) / 1e9;
        state.counters[ops[k].first + "_offset16_GBps"] = double(bytes * calls) / sb::median(offset) / 1e9;
        state.counters[ops[k].first + "_offset16_time_vs_aligned"] = sb::median_ratio(offset, aligned);
        if (!in_dram) continue;
        std::vector<double> line_starts{sb::median(aligned)};
        for (std::size_t j = 2; j < per_op; ++j) {
          line_starts.push_back(sb::median(seconds[per_op * k + j]));
          state.counters[ops[k].first + "_" + inputs[j].first + "_GBps"] = double(bytes * calls) / line_starts.back() / 1e9;
        }
        const auto [fastest, slowest] = std::minmax_element(line_starts.begin(), line_starts.end());
        state.counters[ops[k].first + "_line_offsets_spread"] = *slowest / *fastest;
      }
    })->Iterations(z.dram_rounds * 2)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
}

// ---- every op over sizes from 1 KiB to DRAM, on every backend and (for the
// float sum) every peer: the throughput plots. One name per op and variant,
// the size as the argument ("sweep_sum/simd/bytes:4096").
void register_sweep(const sizes& z) {
  using variant = std::pair<std::string, std::function<void(std::span<const float>)>>;
  const auto on = [](sy::backend b, auto f) {
    return [b, f](std::span<const float> v) { benchmark::DoNotOptimize(f(v, sy::options{.backend = b})); };
  };
  const auto backends = [&](auto f) {
    std::vector<variant> out;
    for (auto b : {sy::backend::serial, sy::backend::simd, sy::backend::threads, sy::backend::automatic}) {
      out.emplace_back(std::string(sy::to_string(b)), on(b, f));
    }
    return out;
  };
  const unsigned cores = sy::default_engine().max_threads();
  std::vector<std::pair<std::string, std::vector<variant>>> ops{
      {"sum", backends([](auto v, const sy::options& o) { return sy::sum(v, o); })},
      {"dot", backends([](auto v, const sy::options& o) { return sy::dot(v, v, o); })},
      {"argmin", backends([](auto v, const sy::options& o) { return sy::argmin(v, o); })},
      {"minmax", backends([](auto v, const sy::options& o) { return sy::minmax(v, o); })},
      {"count_if", backends([](auto v, const sy::options& o) { return sy::count_if(v, sy::gt(1.0f), o); })},
  };
  auto& sum = ops.front().second;
  sum.emplace_back("accumulate_O2", [](auto v) { benchmark::DoNotOptimize(sb::accumulate_o2(v.data(), v.size())); });
  sum.emplace_back("omp_simd_native", [](auto v) { benchmark::DoNotOptimize(sb::omp_simd_native(v.data(), v.size())); });
  sum.emplace_back("std_reduce_par_unseq",
                   [](auto v) { benchmark::DoNotOptimize(sb::std_reduce_par_unseq(v.data(), v.size())); });
  sum.emplace_back("read_loop_all_cores",
                   [cores](auto v) { benchmark::DoNotOptimize(sb::read_loop_threads(v.data(), v.size(), cores)); });
  for (const auto& [op, variants] : ops) {
    for (const auto& [name, f] : variants) {
      auto* b = benchmark::RegisterBenchmark(("sweep_" + op + "/" + name).c_str(), [f](benchmark::State& s) {
        const auto bytes = static_cast<std::size_t>(s.range(0));
        run(s, bytes, [&](const auto& v) {
          f(v);
          return 0;
        });
      });
      // Warm-up first: the threads backend's workers sleep between cases, and
      // a short case would time their waking.
      b->ArgName("bytes")->UseRealTime()->MinTime(z.sweep_min_seconds)->MinWarmUpTime(z.sweep_min_seconds / 2);
      for (std::size_t bytes = kib; bytes <= z.sweep_largest; bytes *= z.sweep_step) {
        b->Arg(static_cast<std::int64_t>(bytes));
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  return sb::suite_main(argc, argv, "reduce_bench: switchyard's reductions beside their peers", {},
                        [](const sb::suite_settings& settings) {
                          const sizes z = sizes_for(settings.quick);
                          register_l2();
                          register_small();
                          register_crossover();
                          register_accuracy(z);
                          register_ops(z);
                          register_alignment(z);
                          register_sweep(z);
                          register_dram(z);
                          sb::register_tuning_check(z.accuracy_dram, z.dram_rounds * 2);
                          return 0;
                        });
}
