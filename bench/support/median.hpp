// The median of a set of timings: what the benchmarks and the capability
// report quote when a run is repeated on a noisy machine.
#pragma once

#include <algorithm>
#include <vector>

namespace switchyard::bench {

/// The middle element (the upper one of an even count); x must not be empty.
inline double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  return x[x.size() / 2];
}

}  // namespace switchyard::bench
