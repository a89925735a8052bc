// Interleaved, repeated timing (timing.hpp).
#include "timing.hpp"

#include <algorithm>

namespace switchyard::detail::dispatch {
namespace {

double ns_for(function_ref<void()> f, std::size_t iterations) {
  const auto t0 = clock::now();
  for (std::size_t i = 0; i < iterations; ++i) f();
  return std::chrono::duration<double, std::nano>(clock::now() - t0).count();
}

}  // namespace

double median_of(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

std::vector<double> time_interleaved(const std::vector<function_ref<void()>>& variants, const timing_plan& plan) {
  // Warm-up: double the iterations until one sample is long enough; every
  // sample taken here is dropped.
  std::vector<std::size_t> iterations(variants.size(), 1);
  for (std::size_t v = 0; v < variants.size(); ++v) {
    while (ns_for(variants[v], iterations[v]) < plan.min_sample_ns && iterations[v] < (std::size_t{1} << 30)) {
      iterations[v] *= 2;
    }
  }
  std::vector<std::vector<double>> samples(variants.size());
  for (int r = 0; r < plan.repetitions; ++r) {
    for (std::size_t k = 0; k < variants.size(); ++k) {
      const std::size_t v = (k + static_cast<std::size_t>(r)) % variants.size();  // rotate the order
      samples[v].push_back(ns_for(variants[v], iterations[v]) / static_cast<double>(iterations[v]));
    }
  }
  std::vector<double> medians;
  for (auto& s : samples) medians.push_back(median_of(std::move(s)));
  return medians;
}

}  // namespace switchyard::detail::dispatch
