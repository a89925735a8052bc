// Two or more capability reports side by side: each measurement's values, the
// speed-up of every machine over the first, grouped, then the crossovers,
// with the ones that would route work differently pointed out.
#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/caps/caps.hpp"
#include "bench/caps/text.hpp"

namespace switchyard::caps {
namespace {


const nlohmann::json* find_named(const nlohmann::json& list, const std::string& name) {
  for (const auto& m : list) {
    if (m["name"] == name) return &m;
  }
  return nullptr;
}

/// Whether two measurements' spreads overlap: their difference is within
/// the noise of the repetitions. False where a report kept no spread.
bool within_spread(const nlohmann::json& a, const nlohmann::json& b) {
  if (!a.contains("spread") || !b.contains("spread")) return false;
  const double a_low = field(a["spread"], "low", 0.0), a_high = field(a["spread"], "high", 0.0);
  const double b_low = field(b["spread"], "low", 0.0), b_high = field(b["spread"], "high", 0.0);
  return a_low <= b_high && b_low <= a_high;
}

/// r["facts"][key], or an empty object.
const nlohmann::json& member_or_empty(const nlohmann::json& r, const char* facts, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!r.contains(facts) || !r[facts].contains(key)) return empty;
  return r[facts][key];
}

/// How much better machine i is than the first: > 1 means better, whatever
/// the direction of the unit.
double speedup(const nlohmann::json& first, const nlohmann::json& other) {
  const double a = first["value"].get<double>(), b = other["value"].get<double>();
  if (a <= 0 || b <= 0) return 0;
  return first["higher_is_better"].get<bool>() ? b / a : a / b;
}

std::string crossover_text(const nlohmann::json* c) {
  if (!c) return "not measured";
  return c->at("bytes").is_null() ? "never" : "from " + bytes(c->at("bytes").get<double>());
}

std::string text_at(const nlohmann::json& doc, const std::vector<std::string>& path) {
  const nlohmann::json* at = &doc;
  for (const auto& key : path) {
    if (!at->is_object() || !at->contains(key)) return "unknown";
    at = &(*at)[key];
  }
  return at->is_string() ? at->get<std::string>() : at->dump();
}

}  // namespace

void check_report(const nlohmann::json& r, const std::string& label) {
  if (field(r, "schema", std::string()) != "switchyard-caps") {
    throw std::runtime_error(label + " is not a switchyard caps report (no \"schema\": \"switchyard-caps\"); "
                                     "write one with `switchyard caps --json FILE`");
  }
  if (field(r, "schema_version", 0.0) != schema_version) {
    throw std::runtime_error(fmt::format("{} has schema_version {}, this switchyard reads {}; measure again with "
                                         "this version's `switchyard caps --json FILE`",
                                         label, r.contains("schema_version") ? r["schema_version"].dump() : "none",
                                         schema_version));
  }
  // What the comparison reads, checked once, so a hand-edited or truncated
  // report is an error that names the field rather than undefined behaviour.
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error(label + " is not a complete caps report: " + what);
  };
  if (!r.contains("facts") || !r["facts"].is_object()) fail("no \"facts\" object");
  for (const char* list : {"measurements", "crossovers"}) {
    if (!r.contains(list) || !r[list].is_array()) fail(std::string("no \"") + list + "\" array");
  }
  for (const auto& m : r["measurements"]) {
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string() || !m.contains("group") ||
        !m["group"].is_string() || !m.contains("value") || !m["value"].is_number() || !m.contains("unit") ||
        !m["unit"].is_string() || !m.contains("higher_is_better") || !m["higher_is_better"].is_boolean()) {
      fail("a measurement lacks name, group, value, unit or higher_is_better: " + m.dump().substr(0, 120));
    }
  }
  for (const auto& c : r["crossovers"]) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("bytes") ||
        !(c["bytes"].is_null() || c["bytes"].is_number())) {
      fail("a crossover lacks name or bytes: " + c.dump().substr(0, 120));
    }
  }
}

std::vector<std::string> fact_differences(const nlohmann::json& a, const nlohmann::json& b, const std::string& label_a,
                                          const std::string& label_b) {
  std::vector<std::string> out;
  const auto differ = [&](const std::string& what, const std::string& x, const std::string& y) {
    if (x != y) out.push_back(fmt::format("{}: {} on {}, {} on {}", what, x, label_a, y, label_b));
  };
  const auto cpu = [](const nlohmann::json& r) {
    return r.contains("facts") && r["facts"].contains("cpu") ? describe_cpu(r["facts"]["cpu"]) : std::string("unknown");
  };
  const auto caches = [](const nlohmann::json& r) {
    return r.contains("facts") && r["facts"].contains("cpu") && r["facts"]["cpu"].contains("caches")
               ? describe_caches(r["facts"]["cpu"]["caches"])
               : std::string("unknown");
  };
  differ("CPU", cpu(a), cpu(b));
  differ("SIMD target", text_at(a, {"facts", "simd", "active_target"}), text_at(b, {"facts", "simd", "active_target"}));
  differ("kernel tuning", text_at(a, {"facts", "simd", "kernel_tuning"}), text_at(b, {"facts", "simd", "kernel_tuning"}));
  differ("caches", caches(a), caches(b));
  differ("kernel", text_at(a, {"facts", "kernel", "release"}), text_at(b, {"facts", "kernel", "release"}));
  const auto gpus = [](const nlohmann::json& r) {
    return r.contains("facts") && r["facts"].contains("cuda") ? describe_cuda(r["facts"]["cuda"]) : std::string("unknown");
  };
  differ("GPU", gpus(a), gpus(b));
  differ("mode", field(a, "quick", false) ? "quick" : "full", field(b, "quick", false) ? "quick" : "full");
  // Other programs' work while each measured, where both reports say; else
  // the 1-minute load averages taken before measuring.
  const auto busy_a = other_work_of(a), busy_b = other_work_of(b);
  if (busy_a && busy_b) {
    if (busy_a->short_of_cores(busy_a->cpus) || busy_b->short_of_cores(busy_b->cpus)) {
      out.push_back(fmt::format("load: other programs kept {:.1f} of {} CPUs busy while {} measured, {:.1f} of {} while "
                                "{} did (other work on a machine lowers its figures)",
                                busy_a->busy_cores, busy_a->cpus, label_a, busy_b->busy_cores, busy_b->cpus, label_b));
    }
    return out;
  }
  const double load_a = a.contains("facts") ? field(a["facts"], "load_average_1min", 0.0) : 0.0;
  const double load_b = b.contains("facts") ? field(b["facts"], "load_average_1min", 0.0) : 0.0;
  if (std::abs(load_a - load_b) >= 0.5) {
    out.push_back(fmt::format("load: {:.2f} on {}, {:.2f} on {} (other work on a machine lowers its figures)", load_a,
                              label_a, load_b, label_b));
  }
  return out;
}

std::string format_comparison(const std::vector<nlohmann::json>& reports, const std::vector<std::string>& labels) {
  if (reports.size() < 2) throw std::runtime_error("compare needs two or more reports");
  for (std::size_t i = 0; i < reports.size(); ++i) check_report(reports[i], labels[i]);

  std::string out;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    out += fmt::format("{}: {} ({}), {}\n", labels[i], text_at(reports[i], {"facts", "hostname"}),
                       describe_cpu(member_or_empty(reports[i], "facts", "cpu")), text_at(reports[i], {"created"}));
  }
  // What differs besides the measurements, and whether a difference in the
  // routing can be trusted: not when one report was taken under load or
  // in the other mode.
  std::vector<bool> comparable(reports.size(), true);
  for (std::size_t i = 1; i < reports.size(); ++i) {
    for (const auto& d : fact_differences(reports[0], reports[i], labels[0], labels[i])) {
      out += "  differs: " + d + "\n";
      if (d.rfind("load", 0) == 0 || d.rfind("mode", 0) == 0) comparable[i] = false;
    }
  }
  const std::string& base = labels[0];
  // Each report's measurements by name, once: a lookup per row, not a scan
  // (a report of 200,000 measurements took minutes).
  std::vector<std::unordered_map<std::string, const nlohmann::json*>> by_name(reports.size());
  for (std::size_t i = 0; i < reports.size(); ++i) {
    for (const auto& m : reports[i]["measurements"]) by_name[i].emplace(m["name"].get<std::string>(), &m);
  }
  for (const char* group : {"compute", "memory", "os", "io", "gpu"}) {
    std::vector<std::string> names;  // in the order of the first report that has them
    std::unordered_set<std::string> seen;
    for (const auto& r : reports) {
      for (const auto& m : r["measurements"]) {
        if (m["group"] == group && seen.insert(m["name"].get<std::string>()).second) names.push_back(m["name"]);
      }
    }
    if (names.empty()) continue;
    out += fmt::format("\n{}\n  {:<26}{:<6}", group, "measurement", "unit");
    for (const auto& l : labels) out += fmt::format("{:>12}", l);
    for (std::size_t i = 1; i < labels.size(); ++i) out += fmt::format("{:>14}", labels[i] + " vs " + base);
    out += "\n";
    for (const auto& name : names) {
      std::vector<const nlohmann::json*> row;
      for (const auto& index : by_name) {
        const auto it = index.find(name);
        row.push_back(it == index.end() ? nullptr : it->second);
      }
      const nlohmann::json* any = *std::find_if(row.begin(), row.end(), [](auto* p) { return p != nullptr; });
      out += fmt::format("  {:<26}{:<6}", name, any->at("unit").get<std::string>());
      for (const auto* m : row) out += fmt::format("{:>12}", m ? number(m->at("value").get<double>()) : "-");
      for (std::size_t i = 1; i < row.size(); ++i) {
        const double s = row[0] && row[i] ? speedup(*row[0], *row[i]) : 0;
        const bool noise = s > 0 && within_spread(*row[0], *row[i]);
        out += fmt::format("{:>14}", s > 0 ? fmt::format("{:.2f}x{}", s, noise ? " ~" : "  ") : "-");
      }
      out += "\n";
    }
  }
  out += fmt::format("\nspeed-ups are in the direction that is better: above 1 means faster or more bandwidth "
                     "than {}; ~ marks a difference within the two reports' spreads (noise)\n\ncrossovers (where "
                     "routing changes)\n", base);
  std::vector<std::string> names;
  for (const auto& r : reports) {
    for (const auto& c : r["crossovers"]) {
      if (std::find(names.begin(), names.end(), c["name"]) == names.end()) names.push_back(c["name"]);
    }
  }
  for (const auto& name : names) {
    std::vector<std::string> where;
    std::set<std::string> distinct;
    bool trusted = true;
    const std::string first = crossover_text(find_named(reports[0]["crossovers"], name));
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const std::string t = crossover_text(find_named(reports[i]["crossovers"], name));
      where.push_back(t + " on " + labels[i]);
      distinct.insert(t);
      if (t != first && !comparable[i]) trusted = false;
    }
    std::string line;
    for (const auto& w : where) line += (line.empty() ? "" : ", ") + w;
    out += fmt::format("  {}: {}{}\n", name, line,
                       distinct.size() <= 1 ? ""
                       : trusted            ? "  <- routes differently"
                                            : "  <- differs, but the reports differ in load or mode: may be noise");
  }
  return out;
}

}  // namespace switchyard::caps
