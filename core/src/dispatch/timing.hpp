// How calibration times a thing, as the anchors do: iterations doubled until
// one sample is well above the clock's resolution (those first samples are
// thrown away, warming caches and pages), then repetitions interleaved across
// the variants being compared, and the median of each. A single slow sample,
// however slow, moves no median of three or more.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include <switchyard/detail/function_ref.hpp>

namespace switchyard::detail::dispatch {

using clock = std::chrono::steady_clock;

/// The median (the upper middle of an even count); x must not be empty.
double median_of(std::vector<double> x);

struct timing_plan {
  int repetitions = 5;
  double min_sample_ns = 20'000;
};

/// Nanoseconds per call of each variant: the median of `repetitions`
/// interleaved samples, each variant's first (warm-up) samples dropped.
std::vector<double> time_interleaved(const std::vector<function_ref<void()>>& variants, const timing_plan& plan);

}  // namespace switchyard::detail::dispatch
