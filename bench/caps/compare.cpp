// Two or more capability reports side by side: each measurement's values, the
// speed-up of every machine over the first, grouped, then the crossovers,
// with the ones that would route work differently pointed out.
#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/caps/caps.hpp"
#include "bench/caps/text.hpp"

namespace switchyard::caps {
namespace {

void check_document(const nlohmann::json& r, const std::string& label) {
  if (!r.is_object() || r.value("schema", "") != "switchyard-caps") {
    throw std::runtime_error(label + " is not a switchyard caps report (no \"schema\": \"switchyard-caps\"); "
                                     "write one with `switchyard caps --json FILE`");
  }
  if (r.value("schema_version", 0) != schema_version) {
    throw std::runtime_error(fmt::format("{} has schema_version {}, this switchyard reads {}; measure again with "
                                         "this version's `switchyard caps --json FILE`",
                                         label, r.value("schema_version", 0), schema_version));
  }
}

const nlohmann::json* find_named(const nlohmann::json& list, const std::string& name) {
  for (const auto& m : list) {
    if (m["name"] == name) return &m;
  }
  return nullptr;
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

}  // namespace

std::string format_comparison(const std::vector<nlohmann::json>& reports, const std::vector<std::string>& labels) {
  if (reports.size() < 2) throw std::runtime_error("compare needs two or more reports");
  for (std::size_t i = 0; i < reports.size(); ++i) check_document(reports[i], labels[i]);

  std::string out;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    out += fmt::format("{}: {} ({}), {}\n", labels[i], reports[i]["facts"]["hostname"].get<std::string>(),
                       describe_cpu(reports[i]["facts"]["cpu"]), reports[i]["created"].get<std::string>());
  }
  const std::string& base = labels[0];
  for (const char* group : {"compute", "memory", "os", "io", "gpu"}) {
    std::vector<std::string> names;  // in the order of the first report that has them
    for (const auto& r : reports) {
      for (const auto& m : r["measurements"]) {
        if (m["group"] == group && std::find(names.begin(), names.end(), m["name"]) == names.end()) {
          names.push_back(m["name"]);
        }
      }
    }
    if (names.empty()) continue;
    out += fmt::format("\n{}\n  {:<26}{:<6}", group, "measurement", "unit");
    for (const auto& l : labels) out += fmt::format("{:>12}", l);
    for (std::size_t i = 1; i < labels.size(); ++i) out += fmt::format("{:>14}", labels[i] + " vs " + base);
    out += "\n";
    for (const auto& name : names) {
      std::vector<const nlohmann::json*> row;
      for (const auto& r : reports) row.push_back(find_named(r["measurements"], name));
      const nlohmann::json* any = *std::find_if(row.begin(), row.end(), [](auto* p) { return p != nullptr; });
      out += fmt::format("  {:<26}{:<6}", name, any->at("unit").get<std::string>());
      for (const auto* m : row) out += fmt::format("{:>12}", m ? number(m->at("value").get<double>()) : "-");
      for (std::size_t i = 1; i < row.size(); ++i) {
        const double s = row[0] && row[i] ? speedup(*row[0], *row[i]) : 0;
        out += fmt::format("{:>14}", s > 0 ? fmt::format("{:.2f}x", s) : "-");
      }
      out += "\n";
    }
  }
  out += fmt::format("\nspeed-ups are in the direction that is better: above 1 means faster or more bandwidth "
                     "than {}\n\ncrossovers (where routing changes)\n", base);
  std::vector<std::string> names;
  for (const auto& r : reports) {
    for (const auto& c : r["crossovers"]) {
      if (std::find(names.begin(), names.end(), c["name"]) == names.end()) names.push_back(c["name"]);
    }
  }
  for (const auto& name : names) {
    std::vector<std::string> where;
    std::set<std::string> distinct;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const std::string t = crossover_text(find_named(reports[i]["crossovers"], name));
      where.push_back(t + " on " + labels[i]);
      distinct.insert(t);
    }
    std::string line;
    for (const auto& w : where) line += (line.empty() ? "" : ", ") + w;
    out += fmt::format("  {}: {}{}\n", name, line,
                       distinct.size() > 1 ? "  <- routes differently" : "");
  }
  return out;
}

}  // namespace switchyard::caps
