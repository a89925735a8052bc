// `switchyard compare A/results.json B/results.json`: every case both runs
// measured, B against A, with a verdict from the repetitions.
#pragma once

#include <string>
#include <vector>

#include "harness/results.hpp"

namespace switchyard::bench {

enum class verdict { same, faster, slower, unclear };
const char* to_string(verdict v);

struct case_comparison {
  std::string suite, name, unit;
  double a = 0, b = 0;  ///< medians, in unit
  double speedup = 0;   ///< > 1: B is better (faster, or more per second)
  double p = 1;         ///< Mann-Whitney U test's two-sided p-value
  verdict call = verdict::unclear;
};

/// The verdict: faster or slower when the U test rejects "same distribution"
/// at alpha (0.05); same when the medians are within `same_within` (5%) of
/// each other and the test does not reject; otherwise unclear.
verdict judge(double speedup, double p, double alpha = 0.05, double same_within = 0.05);

std::vector<case_comparison> compare_results(const results_view& a, const results_view& b);

/// The comparison as text: the machines and what differs between them, a
/// row per case, the geometric mean, and how many cases were judged each way.
std::string format_results_comparison(const results_view& a, const results_view& b, const std::string& label_a,
                                      const std::string& label_b);

}  // namespace switchyard::bench
