#include "harness/report.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "bench/caps/text.hpp"
#include "harness/goals.hpp"
#include "harness/stats.hpp"

namespace switchyard::bench {
namespace {

using caps::number;

/// switchyard's own variants; everything else in a table is a peer.
bool is_peer(const std::string& variant) {
  for (const char* p : {"accumulate", "omp_simd", "std_reduce", "read_loop", "pread_pool", "fio", "thread_per_request",
                        "thread_pool", "wrk", "multiprocessing", "vm_readv", "cub", "python", "numpy", "asyncio",
                        "http_client"}) {
    if (variant.rfind(p, 0) == 0) return true;
  }
  return false;
}

std::string arg_text(const case_runs& c) {
  if (c.arg_name.empty()) return "";
  return c.arg_name == "bytes" ? caps::bytes(c.arg) : fmt::format("{} {}", c.arg, c.arg_name);
}

/// The machine's memory bandwidth as the caps report measured it (GB/s, all threads); 0 if absent.
double memory_bandwidth(const results_view& r) {
  for (const auto& m : caps::list(member(r.context(), {"caps"}), "measurements")) {
    if (caps::field(m, "name", std::string()) == "memory_read_all_threads") return caps::field(m, "value", 0.0);
  }
  return 0;
}

double last_level_cache(const results_view& r) {
  double largest = 0;
  for (const auto& c : caps::list(member(r.context(), {"caps", "facts", "cpu"}), "caches")) {
    largest = std::max(largest, caps::field(c, "size_bytes", 0.0));
  }
  return largest;
}

/// One row of a suite's table.
struct row {
  std::string name;
  std::string variant;
  std::string group;  // rows compared with each other: family and argument
  metric m;
  bool dram = false;  // a reduction over memory: its share of the bandwidth means something
  std::string note;   // other counters, the label, an error
};

std::vector<row> rows_of(const results_view& r, const std::string& suite, const std::function<bool(const case_runs&)>& keep) {
  const double llc = last_level_cache(r);
  std::vector<row> rows;
  for (const auto& c : r.cases()) {
    if (c.suite != suite || !keep(c)) continue;
    const std::string group = c.arg_name.empty() ? c.family : fmt::format("{} {}", c.family, arg_text(c));
    const bool reduction = suite == "reduce" || suite == "processes";
    if (!c.error.empty()) {
      rows.push_back({c.name, c.variant, group, {}, false, "failed: " + c.error});
      continue;
    }
    // An interleaved case: one row per variant it timed (its *_GBps counters).
    bool expanded = false;
    for (const auto& [key, values] : c.counters) {
      if (key.size() > 5 && key.compare(key.size() - 5, 5, "_GBps") == 0) {
        const std::string variant = key.substr(0, key.size() - 5);
        rows.push_back({c.family + "/" + variant, variant, group, {"GB/s", true, values, 1}, reduction, ""});
        expanded = true;
      }
    }
    if (expanded) {
      std::string note;
      for (const auto& [key, values] : c.counters) {
        if (key.find("_GBps") == std::string::npos && key != "bytes") note += fmt::format("{}{} {}", note.empty() ? "" : ", ", key, number(spread_of(values).median));
      }
      if (const auto it = c.counters.find("bytes"); it != c.counters.end()) {
        note = caps::bytes(spread_of(it->second).median) + (note.empty() ? "" : "; " + note);
      }
      rows.push_back({c.name, "", group, {}, false, note});
      continue;
    }
    row x{c.name, c.variant, group, measure_of(c), reduction && c.arg_name == "bytes" && c.arg >= 4 * llc && llc > 0, ""};
    for (const auto& [key, values] : c.counters) {
      if (key == "bytes_per_second" || key == "req_per_s" || key == "IOPS" || key == "items_per_second") continue;
      x.note += fmt::format("{}{} {}", x.note.empty() ? "" : ", ", key, number(spread_of(values).median));
    }
    if (!c.label.empty()) x.note += (x.note.empty() ? "" : "; ") + c.label;
    rows.push_back(std::move(x));
  }
  return rows;
}

/// Rows compare with peers of their group measured the same way (a time with
/// times, bytes per second with bytes per second).
std::string peer_key(const row& x) {
  return x.group + "|" + (x.m.higher_is_better ? (x.m.unit == "GB/s" ? std::string("B/s") : x.m.unit) : "s");
}

/// The table: median, interquartile range, range, ratio to the best peer of
/// the same group, share of the bandwidth for reductions over memory.
std::string table(const std::vector<row>& rows, double bandwidth) {
  std::map<std::string, double> best_peer;  // group and measure -> best peer value (in base units)
  for (const auto& x : rows) {
    if (x.m.values.empty() || !is_peer(x.variant)) continue;
    const double v = spread_of(x.m.values).median / x.m.per_base;
    auto [it, fresh] = best_peer.try_emplace(peer_key(x), v);
    if (!fresh) it->second = x.m.higher_is_better ? std::max(it->second, v) : std::min(it->second, v);
  }
  std::string out = "| case | median | interquartile range | min - max | vs best peer | share of memory bandwidth | |\n"
                    "|---|--:|--:|--:|--:|--:|---|\n";
  for (const auto& x : rows) {
    if (x.m.values.empty()) {
      out += fmt::format("| {} | | | | | | {} |\n", x.name, x.note);
      continue;
    }
    const spread s = spread_of(x.m.values);
    std::string vs;
    if (const auto it = best_peer.find(peer_key(x)); it != best_peer.end() && it->second > 0) {
      const double base = s.median / x.m.per_base;
      const double ratio = x.m.higher_is_better ? base / it->second : it->second / base;
      vs = fmt::format("{:.2f}x", ratio);
    }
    const std::string share = x.dram && bandwidth > 0 && x.m.unit == "GB/s" ? fmt::format("{:.0f}%", 100 * s.median / bandwidth) : "";
    out += fmt::format("| {} | {} {} | {} - {} | {} - {} | {} | {} | {} |\n", x.name, number(s.median), x.m.unit,
                       number(s.q1), number(s.q3), number(s.min), number(s.max), vs, share, x.note);
  }
  return out;
}

/// Sweep families: "sweep_<op>".
std::vector<std::string> sweep_ops(const results_view& r) {
  std::vector<std::string> ops;
  for (const auto& c : r.cases()) {
    if (c.suite == "reduce" && c.family.rfind("sweep_", 0) == 0) {
      const std::string op = c.family.substr(6);
      if (std::find(ops.begin(), ops.end(), op) == ops.end()) ops.push_back(op);
    }
  }
  return ops;
}

/// GB/s (median) of one sweep op: variant -> bytes -> value.
std::map<std::string, std::map<double, double>> sweep_table(const results_view& r, const std::string& op,
                                                            std::vector<std::string>& variants) {
  std::map<std::string, std::map<double, double>> t;
  for (const auto& c : r.cases()) {
    if (c.suite != "reduce" || c.family != "sweep_" + op || !c.error.empty()) continue;
    const auto it = c.counters.find("bytes_per_second");
    if (it == c.counters.end()) continue;
    if (std::find(variants.begin(), variants.end(), c.variant) == variants.end()) variants.push_back(c.variant);
    t[c.variant][c.arg] = spread_of(it->second).median / 1e9;
  }
  return t;
}

std::string sweep_section(const results_view& r) {
  std::string out;
  const double bandwidth = memory_bandwidth(r);
  for (const auto& op : sweep_ops(r)) {
    std::vector<std::string> variants;
    const auto t = sweep_table(r, op, variants);
    std::set<double> sizes;
    for (const auto& [v, by_size] : t) {
      for (const auto& [b, gbs] : by_size) sizes.insert(b);
    }
    out += fmt::format("#### {} (float), GB/s, medians; the fastest at each size in bold{}\n\n| variant |", op,
                       op == "sum" || op == "dot" ? "; switchyard's backends at the default accuracy "
                                                    "(compensated), the peers adding plainly"
                                                  : "");
    for (double b : sizes) out += fmt::format(" {} |", caps::bytes(b));
    out += "\n|---|";
    for (std::size_t i = 0; i < sizes.size(); ++i) out += "--:|";
    out += "\n";
    for (const auto& v : variants) {
      out += "| " + v + (is_peer(v) ? " (peer)" : "") + " |";
      for (double b : sizes) {
        double best = 0;
        for (const auto& [w, by_size] : t) {
          if (const auto it = by_size.find(b); it != by_size.end()) best = std::max(best, it->second);
        }
        const auto it = t.at(v).find(b);
        if (it == t.at(v).end()) {
          out += " |";
        } else {
          out += fmt::format(fmt::runtime(it->second == best ? " **{}** |" : " {} |"), number(it->second));
        }
      }
      out += "\n";
    }
    out += "\n<details><summary>every case of " + op + " with its spread</summary>\n\n" +
           table(rows_of(r, "reduce", [&](const case_runs& c) { return c.family == "sweep_" + op; }), bandwidth) +
           "\n</details>\n\n";
  }
  return out;
}

std::string dispatch_section(const nlohmann::json& d) {
  std::string out = "| policy | max regret | geometric mean | points within 1.10 |\n|---|--:|--:|--:|\n";
  for (const auto& p : caps::list(d, "policies")) {
    out += fmt::format("| {} | {:.2f} | {:.3f} | {:.0f} / {:.0f} |\n", caps::field(p, "policy", std::string()),
                       caps::field(p, "max_regret", 0.0), caps::field(p, "geomean_regret", 0.0),
                       caps::field(p, "within_1_10", 0.0), caps::field(p, "points", 0.0));
  }
  out += fmt::format("\n| figure | value |\n|---|--:|\n| full calibration | {:.2f} s |\n| quick calibration | {:.2f} s |\n"
                     "| one decision (choose(), warm) | {:.1f} ns |\n| automatic / its choice forced, median | {:.3f} |\n"
                     "| two full calibrations agree | {:.1f}% of {:.0f} points outside near-ties |\n",
                     caps::field(d, "full_calibration_s", 0.0), caps::field(d, "quick_calibration_s", 0.0),
                     caps::field(d, "decision_ns", 0.0), caps::field(d, "automatic_over_choice_median", 0.0),
                     100 * caps::field(d, "agreement", 0.0), caps::field(d, "agreement_points", 0.0));
  return out;
}

std::string machine_lines(const results_view& r) {
  const auto& ctx = r.context();
  const auto& facts = member(ctx, {"caps", "facts"});
  std::string out;
  if (member(facts, {"cpu"}).is_object()) {
    const auto& simd = member(facts, {"simd", "active_target"});
    const auto& kernel = member(facts, {"kernel", "release"});
    out += fmt::format("- **Machine:** {}; SIMD {}; caches {}; kernel {}\n", caps::describe_cpu(facts["cpu"]),
                       simd.is_string() ? simd.get<std::string>() : "?",
                       caps::describe_caches(member(facts, {"cpu", "caches"})), kernel.is_string() ? kernel.get<std::string>() : "?");
  }
  if (const double bw = memory_bandwidth(r); bw > 0) {
    out += fmt::format("- **Memory bandwidth** (caps, a read on every thread): {} GB/s\n", number(bw));
  }
  const auto load = [&](const char* key) {
    const auto& l = caps::list(ctx, key);
    return !l.empty() && l[0].is_number() ? fmt::format("{:.2f}", l[0].get<double>()) : std::string("?");
  };
  const std::string filter = caps::field(ctx, "filter", std::string());
  out += fmt::format("- **Date** {}, **commit** {}, **build** {}\n- **Mode** {}, {:.0f} repetitions per case{}; "
                     "1-minute load {} before, {} after\n",
                     caps::field(ctx, "date", std::string("?")), caps::field(ctx, "commit", std::string("?")),
                     caps::field(ctx, "build_type", std::string("?")), caps::field(ctx, "mode", std::string("?")),
                     caps::field(ctx, "repetitions", 0.0), filter.empty() ? "" : ", filter `" + filter + "`",
                     load("load_before"), load("load_after"));
  if (const auto busy = caps::other_work_of(ctx)) {
    out += fmt::format("- **Other programs** kept {:.1f} of {} CPUs busy during the run\n", busy->busy_cores,
                       busy->cpus);
  }
  if (const auto& profile = member(ctx, {"dispatcher", "profile"}); profile.is_string()) {
    out += "- **automatic's model:** " + profile.get<std::string>() + "\n";
  }
  for (const auto& w : caps::list(ctx, "warnings")) {
    if (w.is_string()) out += "- **Warning:** " + w.get<std::string>() + "\n";
  }
  if (caps::field(ctx, "interrupted", false)) out += "- **Stopped by Ctrl-C:** what was measured before is below\n";
  return out;
}

}  // namespace

std::string format_summary(const results_view& r) {
  std::string out;
  const auto ops = sweep_ops(r);
  if (!ops.empty()) {
    std::map<std::string, std::map<std::string, std::map<double, double>>> tables;
    std::set<double> sizes;
    for (const auto& op : ops) {
      std::vector<std::string> variants;
      tables[op] = sweep_table(r, op, variants);
      for (const auto& [v, by_size] : tables[op]) {
        for (const auto& [b, x] : by_size) {
          // Every 4x from 1 KiB: one row per cache level or so, in quick and full runs alike.
          const double steps = std::log2(b / 1024) / 2;
          if (std::abs(steps - std::round(steps)) < 1e-9) sizes.insert(b);
        }
      }
    }
    // automatic's choice, where the run kept it: the measured forced
    // backend it picks against the fastest (as dispatch_bench scores
    // regret); else automatic's own case, which carries its noise.
    const auto& choices = member(r.context(), {"dispatcher", "choices"});
    out += choices.is_object()
               ? "Fastest backend at each size (GB/s, medians), and what automatic picks there (with the fastest's "
                 "throughput over the pick's when it is not the fastest):\n\n| size |"
               : "Fastest backend at each size (GB/s, medians), and automatic's throughput as a share of it:\n\n| size |";
    for (const auto& op : ops) out += " " + op + " |";
    out += "\n|--:|";
    for (std::size_t i = 0; i < ops.size(); ++i) out += "---|";
    out += "\n";
    for (double b : sizes) {
      out += "| " + caps::bytes(b) + " |";
      for (const auto& op : ops) {
        std::string best_name;
        double best = 0, automatic = 0;
        for (const auto& [v, by_size] : tables[op]) {
          const auto it = by_size.find(b);
          if (it == by_size.end()) continue;
          if (v == "automatic") automatic = it->second;
          if (v != "automatic" && !is_peer(v) && it->second > best) {
            best = it->second;
            best_name = v;
          }
        }
        std::string cell;
        const auto& pick = member(choices, {op.c_str(), fmt::format("{:.0f}", b).c_str()});
        if (best <= 0) {
          cell = "";
        } else if (pick.is_string()) {
          const std::string chosen = pick.get<std::string>();
          const auto it = tables[op].find(chosen);
          const double at = it == tables[op].end() || !it->second.contains(b) ? 0 : it->second.at(b);
          cell = chosen == best_name ? fmt::format("{} {}, auto picks it", best_name, number(best))
                 : at > 0            ? fmt::format("{} {}, auto picks {} ({:.2f}x)", best_name, number(best), chosen, best / at)
                                     : fmt::format("{} {}, auto picks {}", best_name, number(best), chosen);
        } else {
          cell = fmt::format("{} {}{}", best_name, number(best),
                             automatic > 0 ? fmt::format(", auto {:.0f}%", 100 * automatic / best) : "");
        }
        out += " " + cell + " |";
      }
      out += "\n";
    }
    out += "\n";
  }
  // I/O: requests per second at 64 in flight, each way of doing it.
  std::string io;
  for (const auto& c : r.cases()) {
    if (c.suite == "io" && c.family == "http_in_flight" && c.arg == 64 && c.counters.contains("req_per_s")) {
      io += fmt::format("{}{} {}", io.empty() ? "" : ", ", c.variant, number(spread_of(c.counters.at("req_per_s")).median));
    }
  }
  if (!io.empty()) out += "HTTP from nginx, 64 requests in flight (req/s): " + io + "\n\n";
  std::string seed;
  for (const auto& c : r.cases()) {
    if (c.suite == "seed" && c.family == "sum_10M" && !c.seconds.empty()) {
      seed += fmt::format("{}{} {} ms", seed.empty() ? "" : ", ", c.variant, number(spread_of(c.seconds).median * 1e3));
    }
  }
  if (!seed.empty()) out += "The seed's sum of 10 million floats: " + seed + "\n\n";
  std::string fetch;
  for (const auto& c : r.cases()) {
    if (c.suite == "seed" && c.family == "fetch_pages" && c.counters.contains("req_per_s")) {
      fetch += fmt::format("{}{} {}", fetch.empty() ? "" : ", ", c.variant, number(spread_of(c.counters.at("req_per_s")).median));
    }
  }
  if (!fetch.empty()) out += "The seed's page downloads, joined and checked (req/s): " + fetch + "\n\n";
  const auto goals = evaluate_goals(r);
  const auto met = std::count_if(goals.begin(), goals.end(), [](const goal_row& g) { return g.met; });
  out += fmt::format("Goals: {} of {} met", met, goals.size());
  std::string missed;
  for (const auto& g : goals) {
    if (!g.met) missed += fmt::format("\n- missed: {} ({}, measured {})", g.what, g.goal, number(g.value));
  }
  return out + missed + "\n";
}

std::string format_report(const results_view& r, const std::vector<std::string>& plots,
                          const std::vector<std::string>& plot_warnings) {
  std::string out = "# switchyard bench\n\n" + machine_lines(r) + "\n## Summary\n\n" + format_summary(r) + "\n";
  if (!plots.empty() || !plot_warnings.empty()) {
    out += "## Plots\n\n";
    for (const auto& p : plots) out += fmt::format("![{}]({})\n\n", p, p);
    for (const auto& w : plot_warnings) out += "Not drawn: " + w + "\n\n";
  }
  const double bandwidth = memory_bandwidth(r);
  for (const auto& [name, entry] : r.document().at("suites").items()) {
    out += fmt::format("## Suite `{}`\n\n", name);
    const std::string status = caps::field(entry, "status", std::string("?"));
    out += status == "ran" ? fmt::format("Ran in {:.0f} s.\n\n", caps::field(entry, "seconds", 0.0))
                           : fmt::format("**{}**: {}\n\n", status, caps::field(entry, "reason", std::string()));
    if (!entry.is_object() || !entry.contains("results")) continue;
    if (name == "dispatch") {
      out += dispatch_section(entry["results"]) + "\n";
      continue;
    }
    if (name == "reduce") {
      out += "### Throughput against size\n\n" + sweep_section(r) + "### The cases the goals name\n\n";
    }
    out += table(rows_of(r, name, [&](const case_runs& c) { return c.family.rfind("sweep_", 0) != 0; }), bandwidth) + "\n";
  }
  const auto goals = evaluate_goals(r);
  out += "## Goals\n\n| suite | figure | goal | measured | |\n|---|---|---|--:|---|\n";
  for (const auto& g : goals) {
    out += fmt::format("| {} | {} | {} | {} | {} |\n", g.suite, g.what, g.goal, number(g.value), g.met ? "met" : "**missed**");
  }
  if (goals.empty()) out += "| | no goal's measurements are in this run | | | |\n";
  return out;
}

}  // namespace switchyard::bench
