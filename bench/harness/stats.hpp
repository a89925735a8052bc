// Statistics over repetitions: the spread the report quotes, and the test
// `switchyard compare` uses to tell a change from noise.
#pragma once

#include <vector>

namespace switchyard::bench {

struct spread {
  double median = 0, q1 = 0, q3 = 0, min = 0, max = 0;
};

/// Median, quartiles (linear interpolation) and range; zeros for no values.
spread spread_of(std::vector<double> values);

/// The two-sided p-value of the Mann-Whitney U test that a and b come from
/// the same distribution (normal approximation with a tie correction, as
/// SciPy's mannwhitneyu without continuity correction; Google Benchmark's
/// compare.py uses the same test). 1 when either side is empty.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

/// The geometric mean of positive values; 0 for none.
double geometric_mean(const std::vector<double>& values);

}  // namespace switchyard::bench
