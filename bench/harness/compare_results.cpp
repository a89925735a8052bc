#include "harness/compare_results.hpp"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "bench/caps/caps.hpp"
#include "bench/caps/text.hpp"
#include "harness/stats.hpp"

namespace switchyard::bench {
const char* to_string(verdict v) {
  switch (v) {
    case verdict::same: return "same";
    case verdict::faster: return "faster";
    case verdict::slower: return "slower";
    case verdict::unclear: return "unclear";
  }
  return "?";
}

verdict judge(double speedup, double p, double alpha, double same_within) {
  if (p < alpha && speedup != 1) return speedup > 1 ? verdict::faster : verdict::slower;
  if (std::abs(speedup - 1) <= same_within) return verdict::same;
  return verdict::unclear;
}

std::vector<case_comparison> compare_results(const results_view& a, const results_view& b) {
  std::vector<case_comparison> out;
  for (const auto& ca : a.cases()) {
    const case_runs* cb = b.find(ca.suite, ca.name);
    if (!cb || !ca.error.empty() || !cb->error.empty()) continue;
    const metric ma = measure_of(ca);
    metric mb = measure_of(*cb);
    // Times compare whatever unit suits each; rates only with the same rate.
    if (ma.values.empty() || mb.values.empty() || ma.higher_is_better != mb.higher_is_better ||
        (ma.higher_is_better && ma.unit != mb.unit)) {
      continue;
    }
    for (double& v : mb.values) v *= ma.per_base / mb.per_base;  // B in A's unit
    case_comparison c{ca.suite, ca.name, ma.unit, spread_of(ma.values).median, spread_of(mb.values).median};
    if (c.a <= 0 || c.b <= 0) continue;
    c.speedup = ma.higher_is_better ? c.b / c.a : c.a / c.b;
    c.p = mann_whitney_p(ma.values, mb.values);
    c.call = judge(c.speedup, c.p);
    out.push_back(c);
  }
  return out;
}

std::string format_results_comparison(const results_view& a, const results_view& b, const std::string& label_a,
                                      const std::string& label_b) {
  std::string out;
  for (const auto& [label, r] : {std::pair{label_a, &a}, std::pair{label_b, &b}}) {
    const auto& ctx = r->context();
    const auto& host = member(ctx, {"caps", "facts", "hostname"});
    out += fmt::format("{}: {} {}, commit {}, {} mode, {:.0f} repetitions\n", label,
                       caps::field(ctx, "date", std::string("?")), host.is_string() ? host.get<std::string>() : "?",
                       caps::field(ctx, "commit", std::string("?")), caps::field(ctx, "mode", std::string("?")),
                       caps::field(ctx, "repetitions", 0.0));
  }
  const auto& caps_a = member(a.context(), {"caps"});
  const auto& caps_b = member(b.context(), {"caps"});
  if (caps_a.is_object() && caps_b.is_object()) {
    for (const auto& d : caps::fact_differences(caps_a, caps_b)) out += "differs: " + d + "\n";
  }
  if (caps::field(a.context(), "mode", std::string()) != caps::field(b.context(), "mode", std::string())) {
    out += "differs: one run is --quick and the other --full: sizes differ, so only the cases both ran are compared\n";
  }
  const auto rows = compare_results(a, b);
  out += fmt::format("\n{:<10} {:<56} {:>8} {:>12} {:>12} {:>8} {:>7}  {}\n", "suite", "case", "unit", label_a, label_b,
                     label_b + "/" + label_a, "p", "verdict");
  std::vector<double> speedups;
  std::map<verdict, int> counts;
  int few = 0;  // cases with fewer than 3 repetitions on a side
  for (const auto& c : rows) {
    out += fmt::format("{:<10} {:<56} {:>8} {:>12} {:>12} {:>7.3f}x {:>7.3f}  {}\n", c.suite, c.name.substr(0, 56), c.unit,
                       caps::number(c.a), caps::number(c.b), c.speedup, c.p, to_string(c.call));
    speedups.push_back(c.speedup);
    ++counts[c.call];
    few += std::min(a.find(c.suite, c.name)->seconds.size(), b.find(c.suite, c.name)->seconds.size()) < 3;
  }
  if (rows.empty()) return out + "no case was measured in both runs\n";
  out += fmt::format("{:<10} {:<56} {:>8} {:>12} {:>12} {:>7.3f}x\n", "", "geometric mean", "", "", "", geometric_mean(speedups));
  out += fmt::format("\n{} cases: {} faster, {} slower, {} same, {} unclear (x above 1: {} is better; the verdict is "
                     "the Mann-Whitney U test at p < 0.05, 'same' within 5%)\n",
                     rows.size(), counts[verdict::faster], counts[verdict::slower], counts[verdict::same],
                     counts[verdict::unclear], label_b);
  if (few > 0) {
    out += fmt::format("{} cases have fewer than 3 repetitions on a side, where the test cannot reach p < 0.05 (they are "
                       "'same' or 'unclear'); `switchyard bench --repetitions 9` gives every case a verdict it can "
                       "trust\n", few);
  }
  return out;
}

}  // namespace switchyard::bench
