// The seed suite: the question the project began from ("threading,
// multiprocessing or asyncio?"), Python's answers and switchyard's side by
// side on this machine, in one run:
//   - the sum of a 10-million-element list: Python's sum, 2 threads, a
//     multiprocessing.Pool over pickled chunks, shared_memory with numpy
//     views, numpy.sum; switchyard's serial, simd, threads, processes (over a
//     shared_array) and automatic;
//   - 10,000 pages of 4 KiB (2,000 with --quick) from a local nginx, joined: http.client one at a
//     time, ThreadPoolExecutor(32), asyncio streams over 32 keep-alive
//     connections; switchyard's io context (examples/fetch_pages, 32
//     connections). Every sum and every byte is checked.
// The Python peers (peers/seed_*.py) run under /usr/bin/python3 and time
// themselves after making their data, as the C++ side does.
// `switchyard bench` runs it (suite `seed`) with an nginx of its own; alone:
//   seed_bench [--nginx-port P] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <switchyard/switchyard.hpp>

#include "support/median.hpp"
#include "support/run_program.hpp"
#include "support/suite_main.hpp"

namespace sy = switchyard;
namespace sb = switchyard::bench;

namespace {

constexpr std::size_t n = 10'000'000;
std::size_t pages = 10'000;  // --quick: 2,000
constexpr std::size_t page_bytes = 4096;
constexpr int concurrency = 32;
std::uint16_t nginx_port = 0;
int python_repeats = 3;  // each Python run times the sum this many times; --quick: once

/// The sum of (i % 7) * 0.25 for i in [0, n), exactly.
double exact_sum() {
  const std::size_t full = n / 7;
  double s = static_cast<double>(full) * 5.25;
  for (std::size_t i = 0; i < n % 7; ++i) s += static_cast<double>(i) * 0.25;
  return s;
}

float value_at(std::size_t i) { return static_cast<float>(i % 7) * 0.25f; }

const std::vector<float>& list() {
  static const std::vector<float> v = [] {
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = value_at(i);
    return x;
  }();
  return v;
}

const sy::shared_array<float>& shared_list() {
  static const sy::shared_array<float> a{std::span<const float>(list())};
  return a;
}

/// A Python peer: one run of the script per iteration, timed by itself.
void python_peer(benchmark::State& state, const std::vector<std::string>& args, bool check_sum) {
  for (auto _ : state) {
    const std::string text = sb::output_of(args);
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      state.SkipWithError(("the Python peer printed: " + text.substr(0, 300)).c_str());
      return;
    }
    if (check_sum) {
      const double s = doc.value("sum", 0.0);
      if (std::abs(s - exact_sum()) > 1e-6 * exact_sum()) {
        state.SkipWithError(("wrong sum " + std::to_string(s)).c_str());
        return;
      }
      state.SetIterationTime(sb::median(doc.at("seconds").get<std::vector<double>>()));
    } else {
      if (!doc.value("checked", false) || doc.value("bytes", 0ull) != pages * page_bytes) {
        state.SkipWithError("the pages came back wrong");
        return;
      }
      state.SetIterationTime(doc.value("seconds", 0.0));
    }
  }
  if (!check_sum) state.counters["req_per_s"] = benchmark::Counter(double(pages) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void register_sum() {
  const std::string workers = std::to_string(sy::default_engine().max_threads());
  for (const char* v : {"builtin_sum", "threads_2", "multiprocessing_pool", "shared_memory_numpy", "numpy_sum"}) {
    const std::string name = std::string("sum_10M/") + (std::string(v) == "numpy_sum" ? "" : "python_") + v;
    benchmark::RegisterBenchmark(name.c_str(), [v, workers](benchmark::State& s) {
      python_peer(s, {"/usr/bin/python3", SEED_SUM_PEER, v, std::to_string(n), workers, std::to_string(python_repeats)}, true);
    })->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
  for (auto b : {sy::backend::serial, sy::backend::simd, sy::backend::threads, sy::backend::processes, sy::backend::automatic}) {
    const std::string name = "sum_10M/" + std::string(sy::to_string(b));
    benchmark::RegisterBenchmark(name.c_str(), [b](benchmark::State& state) {
      // processes reads a shared_array in place; a std::vector would be copied to it.
      const std::span<const float> in = b == sy::backend::processes ? std::span<const float>(shared_list()) : std::span<const float>(list());
      float s = 0;
      for (auto _ : state) {
        s = sy::sum(in, {.backend = b});
        // The const overload: GCC 12 miscompiles Google Benchmark's "+m,r"
        // (non-const) one for a float (GCC bug 105519), and s came out 0.
        benchmark::DoNotOptimize(std::as_const(s));
      }
      // Time per sum, as the Python rows report it (no bytes per second here).
      if (std::abs(double(s) - exact_sum()) > 1e-6 * exact_sum()) state.SkipWithError(("wrong sum " + std::to_string(s)).c_str());
    })->UseRealTime()->Unit(benchmark::kMillisecond);
  }
}

void register_fetch() {
  const std::string port = std::to_string(nginx_port);
  for (const char* v : {"http_client_serial", "thread_pool", "asyncio_streams"}) {
    const std::string name = std::string("fetch_pages/python_") + v;
    benchmark::RegisterBenchmark(name.c_str(), [v, port](benchmark::State& s) {
      python_peer(s, {"/usr/bin/python3", SEED_FETCH_PEER, v, port, std::to_string(pages), std::to_string(page_bytes),
                      std::to_string(concurrency)}, false);
    })->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("fetch_pages/switchyard_io_context", [port](benchmark::State& state) {
    for (auto _ : state) {
      const std::string text = sb::output_of({FETCH_PAGES, "fetch", port, std::to_string(pages), std::to_string(page_bytes),
                                              std::to_string(concurrency)});
      double ms = 0;
      const auto at = text.find(" in ");
      if (at == std::string::npos || std::sscanf(text.c_str() + at, " in %lf ms", &ms) != 1 ||
          text.find("every byte checked") == std::string::npos) {
        state.SkipWithError(("fetch_pages printed: " + text).c_str());
        return;
      }
      state.SetIterationTime(ms / 1e3);
    }
    state.counters["req_per_s"] = benchmark::Counter(double(pages) * double(state.iterations()), benchmark::Counter::kIsRate);
  })->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  return sb::suite_main(
      argc, argv, "seed_bench: threading, multiprocessing or asyncio? Python's answers beside switchyard's",
      {.nginx_port = true},
      [](const sb::suite_settings& settings) {
        nginx_port = settings.nginx_port;
        if (settings.quick) {
          pages = 2'000;
          python_repeats = 1;
        }
        register_sum();
        if (nginx_port != 0) register_fetch();
        return 0;
      });
}
