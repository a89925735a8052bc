// Timing variants in interleaved rounds: each round runs every variant once,
// in an order that rotates. On a shared host the bandwidth swings more from
// one second to the next than between the variants compared, and timing each
// variant in its own block of runs turned that swing into the ratios.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "median.hpp"

namespace switchyard::bench {

/// Runs one round per benchmark iteration; returns seconds[variant][round].
/// The iteration time (UseManualTime) is the round's total.
inline std::vector<std::vector<double>> time_interleaved(benchmark::State& state,
                                                         const std::vector<std::function<void()>>& variants,
                                                         const std::function<void()>& after_round = {}) {
  std::vector<std::vector<double>> seconds(variants.size());
  std::size_t round = 0;
  for (auto _ : state) {
    double total = 0;
    for (std::size_t k = 0; k < variants.size(); ++k) {
      const std::size_t j = (k + round) % variants.size();
      const auto t0 = std::chrono::steady_clock::now();
      variants[j]();
      const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
      seconds[j].push_back(dt.count());
      total += dt.count();
    }
    if (after_round) after_round();
    state.SetIterationTime(total);
    ++round;
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
