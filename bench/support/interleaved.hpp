// Timing variants in interleaved rounds: each round runs every variant once,
// in an order shuffled afresh each round. On a shared host the bandwidth
// swings more from one second to the next than between the variants
// compared, and timing each variant in its own block of runs turned that
// swing into the ratios. A rotating order was tried first: it keeps every
// variant behind the same neighbour, and what a run leaves behind moved the
// ratios by a few percent (docs/PERF.md, "A page ahead").
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <numeric>
#include <random>
#include <vector>

#include "median.hpp"

namespace switchyard::bench {

/// Runs one round per benchmark iteration; returns seconds[variant][round].
/// The iteration time (UseManualTime) is the round's total.
inline std::vector<std::vector<double>> time_interleaved(benchmark::State& state,
                                                         const std::vector<std::function<void()>>& variants,
                                                         const std::function<void()>& after_round = {}) {
  std::vector<std::vector<double>> seconds(variants.size());
  std::vector<std::size_t> order(variants.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937 shuffle(20261203);  // fixed: a rerun runs the same orders
  for (auto _ : state) {
    double total = 0;
    std::shuffle(order.begin(), order.end(), shuffle);
    for (const std::size_t j : order) {
      const auto t0 = std::chrono::steady_clock::now();
      variants[j]();
      const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
      seconds[j].push_back(dt.count());
      total += dt.count();
    }
    if (after_round) after_round();
    state.SetIterationTime(total);
  }
  return seconds;
}

/// The median over rounds of slow[i] / fast[i]: > 1 means `fast` is faster.
inline double median_ratio(const std::vector<double>& slow, const std::vector<double>& fast) {
  std::vector<double> r;
  for (std::size_t i = 0; i < slow.size() && i < fast.size(); ++i) r.push_back(slow[i] / fast[i]);
  return r.empty() ? 0.0 : median(r);
}

}  // namespace switchyard::bench
