// The figures the issues set goals for, each computed from results.json as a
// ratio of two measurements from the same run, met or missed.
#pragma once

#include <string>
#include <vector>

#include "harness/results.hpp"

namespace switchyard::bench {

struct goal_row {
  std::string suite;
  std::string what;  ///< says exactly what is measured, and in which mode
  std::string goal;  ///< ">= 0.90"
  double value = 0;
  bool met = false;
};

/// The goals whose measurements are in `results` (a suite not run, or a
/// case filtered out, leaves its rows out).
std::vector<goal_row> evaluate_goals(const results_view& results);

}  // namespace switchyard::bench
