// The report of a `switchyard bench` run, for a user first: machine, date
// and commit; the summary (which backend wins where); every suite's cases
// with their spread over repetitions, as ratios to the best peer and, for
// reductions, as a share of the measured memory bandwidth; the plots; then
// the goals table.
#pragma once

#include <string>
#include <vector>

#include "harness/results.hpp"

namespace switchyard::bench {

/// report.md. plots: the image files drawn beside it; plot_warnings: why
/// some were not.
std::string format_report(const results_view& results, const std::vector<std::string>& plots,
                          const std::vector<std::string>& plot_warnings);

/// The summary table (Markdown) printed at the end of a run and at the top
/// of the report: per op and size, the fastest backend and how close
/// automatic came; the I/O and seed headlines; the goals met.
std::string format_summary(const results_view& results);

}  // namespace switchyard::bench
