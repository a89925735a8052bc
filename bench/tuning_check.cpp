#include "tuning_check.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "kernels/common/cpu_tuning.hpp"
#include "kernels/simd/reduce_kernels.hpp"
#include "support/interleaved.hpp"
#include "support/reduce_inputs.hpp"

namespace switchyard::bench {
namespace {

namespace k = switchyard::kernels;
namespace sy = switchyard;

constexpr std::size_t kib = 1024;

/// A call a tuning may change, and which fields change it.
struct probe {
  enum kind { dram_fast_sum, dram_default_sum, dram_other, cache_widened, cache_double };
  std::string name;
  kind what;
  std::function<void()> run;
};

/// One field of this CPU's tuning set otherwise, and the probes it changes.
struct alternative {
  std::string name;  // the case's: vs_<field>_<value>
  k::cpu_tuning tuning;
  std::function<bool(const probe&)> changes;
};

std::string bytes_name(std::size_t bytes) {
  return bytes % (kib * kib) == 0 ? std::to_string(bytes / kib / kib) + "MiB" : std::to_string(bytes / kib) + "KiB";
}

std::vector<probe> probes(std::size_t dram_bytes) {
  const sy::options simd{.backend = sy::backend::simd}, threads{.backend = sy::backend::threads};
  const sy::options simd_fast{.backend = sy::backend::simd, .accuracy = sy::accuracy::fast};
  const sy::options threads_fast{.backend = sy::backend::threads, .accuracy = sy::accuracy::fast};
  std::vector<probe> out;
  const auto v = reduce_input(dram_bytes);
  const auto [dot_x, dot_y] = dot_inputs(v);  // a page more than half the buffer apart
  for (const bool on_threads : {false, true}) {
    const std::string at = on_threads ? "_threads" : "_simd";
    const sy::options o = on_threads ? threads : simd, fast = on_threads ? threads_fast : simd_fast;
    out.push_back({"sum_fast" + at, probe::dram_fast_sum, [v, fast] { benchmark::DoNotOptimize(sy::sum(v, fast)); }});
    out.push_back({"sum_default" + at, probe::dram_default_sum, [v, o] { benchmark::DoNotOptimize(sy::sum(v, o)); }});
    out.push_back({"dot" + at, probe::dram_other,
                   [x = dot_x, y = dot_y, o] { benchmark::DoNotOptimize(sy::dot(x, y, o)); }});
    out.push_back({"argmin" + at, probe::dram_other, [v, o] { benchmark::DoNotOptimize(sy::argmin(v, o)); }});
    out.push_back({"count_gt" + at, probe::dram_other,
                   [v, o] { benchmark::DoNotOptimize(sy::count_if(v, sy::gt(1.0f), o)); }});
  }
  // In cache, about a millisecond of calls each: the default float sum where
  // its kernel's target and adds are chosen (L2, and the end of a long
  // stream in L3), dot, and a double sum's compensated step.
  for (const std::size_t bytes : {64 * kib, 512 * kib, 4 * kib * kib}) {
    const auto c = reduce_input(bytes);
    const std::size_t calls = std::max<std::size_t>(1, (32 * kib * kib) / bytes);
    out.push_back({"sum_default_" + bytes_name(bytes), probe::cache_widened, [c, calls, simd] {
                     for (std::size_t i = 0; i < calls; ++i) benchmark::DoNotOptimize(sy::sum(c, simd));
                   }});
  }
  const auto c = reduce_input(64 * kib);
  out.push_back({"dot_default_64KiB", probe::cache_widened, [c, simd] {
                   for (int i = 0; i < 512; ++i) benchmark::DoNotOptimize(sy::dot(c.first(c.size() / 2), c.last(c.size() / 2), simd));
                 }});
  static const std::vector<double> d(64 * kib / sizeof(double), 0.25);
  out.push_back({"sum_default_double_64KiB", probe::cache_double, [simd] {
                   for (int i = 0; i < 512; ++i) benchmark::DoNotOptimize(sy::sum(d, simd));
                 }});
  return out;
}

std::vector<alternative> alternatives(const k::cpu_tuning& own) {
  const auto in_dram = [](const probe& p) { return p.what <= probe::dram_other; };
  const auto widened = [](const probe& p) { return p.what == probe::cache_widened || p.what == probe::dram_default_sum; };
  const auto added = [widened](const probe& p) { return widened(p) || p.what == probe::cache_double; };
  std::vector<alternative> out;
  for (const auto policy : {k::stream_policy::page_ahead, k::stream_policy::lines_ahead, k::stream_policy::page_ahead_for_pairs}) {
    if (policy == own.stream) continue;
    k::cpu_tuning t = own;
    t.stream = policy;
    out.push_back({"vs_stream_" + std::string(k::to_string(policy)), t, in_dram});
  }
  if (own.stream == k::stream_policy::lines_ahead) {
    for (const std::size_t ahead : {own.lines_ahead_bytes / 2, own.lines_ahead_bytes * 2}) {
      k::cpu_tuning t = own;
      t.lines_ahead_bytes = ahead;
      out.push_back({"vs_lines_ahead_" + bytes_name(ahead), t, in_dram});
    }
  }
  k::cpu_tuning adds = own;
  adds.adds = own.adds == k::add_form::fused ? k::add_form::plain : k::add_form::fused;
  out.push_back({adds.adds == k::add_form::fused ? "vs_adds_fused" : "vs_adds_plain", adds, added});
  // The AVX2 kernel where a wider one runs: nothing to change on AVX2 itself.
  const std::string target(k::simd::target_name());
  if (target.rfind("AVX3", 0) == 0 || target.rfind("AVX10", 0) == 0) {
    k::cpu_tuning fast = own;
    fast.fast_streams_on_avx2 = !own.fast_streams_on_avx2;
    out.push_back({std::string("vs_fast_streams_on_avx2_") + (fast.fast_streams_on_avx2 ? "on" : "off"), fast,
                   [](const probe& p) { return p.what == probe::dram_fast_sum; }});
    k::cpu_tuning widening = own;
    widening.widening_on_avx2 = !own.widening_on_avx2;
    out.push_back({std::string("vs_widening_on_avx2_") + (widening.widening_on_avx2 ? "on" : "off"), widening, widened});
  }
  return out;
}

}  // namespace

void register_tuning_check(std::size_t dram_bytes, int rounds) {
  const k::cpu_tuning own = k::cpu_tuning_in_use();
  for (const alternative& alt : alternatives(own)) {
    benchmark::RegisterBenchmark(("tuning/" + alt.name).c_str(), [alt, own, dram_bytes](benchmark::State& state) {
      std::vector<probe> used;
      for (probe& p : probes(dram_bytes)) {
        if (alt.changes(p)) used.push_back(std::move(p));
      }
      // Each probe under this CPU's tuning, then under the alternative.
      std::vector<std::function<void()>> runs;
      for (const probe& p : used) {
        for (const k::cpu_tuning& t : {own, alt.tuning}) {
          runs.emplace_back([&p, t] {
            k::set_cpu_tuning_for_test(t);
            p.run();
          });
        }
      }
      const auto seconds = time_interleaved(state, runs);
      k::set_cpu_tuning_for_test(std::nullopt);
      double least = 0;
      for (std::size_t i = 0; i < used.size(); ++i) {
        const double own_faster = median_ratio(seconds[2 * i + 1], seconds[2 * i]);
        state.counters[used[i].name] = own_faster;
        least = i == 0 ? own_faster : std::min(least, own_faster);
      }
      state.counters["least"] = least;
      state.SetLabel("this CPU: " + k::to_string(own) + "; against: " + k::to_string(alt.tuning));
    })->Iterations(rounds)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
}

}  // namespace switchyard::bench
