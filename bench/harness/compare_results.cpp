#include "harness/compare_results.hpp"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "bench/caps/caps.hpp"
#include "bench/caps/text.hpp"
#include "harness/stats.hpp"

namespace switchyard::bench {
namespace {

/// Rates (higher is better) where the case has one, else time per iteration.
std::pair<std::vector<double>, bool> values_of(const case_runs& c, std::string& unit) {
  for (const auto& [counter, name] : {std::pair{"bytes_per_second", "GB/s"}, std::pair{"req_per_s", "req/s"},
                                      std::pair{"IOPS", "IOPS"}, std::pair{"items_per_second", "items/s"}}) {
    if (const auto it = c.counters.find(counter); it != c.counters.end()) {
      unit = name;
      std::vector<double> v = it->second;
      if (unit == "GB/s") {
        for (double& x : v) x /= 1e9;
      }
      return {v, true};
    }
  }
  unit = "us";
  std::vector<double> v;
  for (double s : c.seconds) v.push_back(s * 1e6);
  return {v, false};
}

}  // namespace

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
    std::string unit_a, unit_b;
    const auto [va, higher] = values_of(ca, unit_a);
    const auto [vb, higher_b] = values_of(*cb, unit_b);
    if (va.empty() || vb.empty() || unit_a != unit_b) continue;
    case_comparison c{ca.suite, ca.name, unit_a, spread_of(va).median, spread_of(vb).median};
    if (c.a <= 0 || c.b <= 0) continue;
    c.speedup = higher ? c.b / c.a : c.a / c.b;
    c.p = mann_whitney_p(va, vb);
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
    out += fmt::format("{}: {} {}, commit {}, {} mode, {} repetitions\n", label, ctx.value("date", "?"),
                       host.is_string() ? host.get<std::string>() : "?",
                       ctx.value("commit", "?"), ctx.value("mode", "?"), ctx.value("repetitions", 0));
  }
  const auto& caps_a = member(a.context(), {"caps"});
  const auto& caps_b = member(b.context(), {"caps"});
  if (caps_a.is_object() && caps_b.is_object()) {
    for (const auto& d : caps::fact_differences(caps_a, caps_b)) out += "differs: " + d + "\n";
  }
  if (a.context().value("mode", "") != b.context().value("mode", "")) {
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
