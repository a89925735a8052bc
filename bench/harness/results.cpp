#include "harness/results.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>
#include <tuple>

#include "bench/caps/text.hpp"
#include "harness/stats.hpp"

namespace switchyard::bench {
namespace {

/// Keys of a Google Benchmark run that are not counters.
const std::set<std::string> run_fields = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
                                          "repetitions", "repetition_index", "threads", "iterations", "real_time",
                                          "cpu_time", "time_unit", "label", "error_occurred", "error_message",
                                          "aggregate_name", "aggregate_unit"};

double unit_seconds(const std::string& unit) {
  if (unit == "ns") return 1e-9;
  if (unit == "us") return 1e-6;
  if (unit == "ms") return 1e-3;
  return 1;
}

bool is_timing_suffix(const std::string& segment) {
  for (const char* prefix : {"min_time:", "min_warmup_time:", "iterations:", "repeats:", "threads:"}) {
    if (segment.rfind(prefix, 0) == 0) return true;
  }
  return segment == "real_time" || segment == "manual_time" || segment == "process_time";
}

bool finite_number(const std::string& text, double& out) {
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, out);
  return error == std::errc() && stop == end && std::isfinite(out);
}

case_runs& case_for(std::vector<case_runs>& cases, const std::string& suite, const std::string& run_name) {
  std::vector<std::string> segments;
  for (std::size_t at = 0; at <= run_name.size();) {
    const std::size_t slash = std::min(run_name.find('/', at), run_name.size());
    segments.push_back(run_name.substr(at, slash - at));
    at = slash + 1;
  }
  case_runs c;
  c.suite = suite;
  for (const auto& s : segments) {
    if (is_timing_suffix(s)) continue;
    c.name += (c.name.empty() ? "" : "/") + s;
    // "name:value" is an argument where value is a finite number; any other
    // segment (a name a user chose may hold a colon) is part of the variant.
    const auto colon = s.find(':');
    double arg = 0;
    const bool is_arg = colon != std::string::npos && finite_number(s.substr(colon + 1), arg);
    if (c.family.empty()) {
      c.family = s;
    } else if (is_arg) {
      c.arg_name = s.substr(0, colon);
      c.arg = arg;
    } else {
      c.variant += (c.variant.empty() ? "" : "/") + s;
    }
  }
  for (auto& existing : cases) {
    if (existing.suite == suite && existing.name == c.name) return existing;
  }
  cases.push_back(std::move(c));
  return cases.back();
}

void add_runs(std::vector<case_runs>& cases, const std::string& suite, const nlohmann::json& gb) {
  for (const auto& run : caps::list(gb, "benchmarks")) {
    if (!run.is_object() || caps::field(run, "run_type", std::string("iteration")) != "iteration") continue;
    const std::string run_name = caps::field(run, "run_name", caps::field(run, "name", std::string()));
    case_runs& c = case_for(cases, suite, run_name);
    c.label = caps::field(run, "label", std::string());
    if (caps::field(run, "error_occurred", false)) {
      c.error = caps::field(run, "error_message", std::string("failed"));
      continue;
    }
    // Threaded and manually timed runs by the wall clock (the name says so);
    // others by CPU time, which other tenants of a shared machine disturb less.
    const bool wall = run_name.find("/real_time") != std::string::npos ||
                      run_name.find("/manual_time") != std::string::npos;
    const double t = caps::field(run, wall ? "real_time" : "cpu_time", 0.0) *
                     unit_seconds(caps::field(run, "time_unit", std::string("ns")));
    c.seconds.push_back(t);
    for (const auto& [key, value] : run.items()) {
      if (!run_fields.contains(key) && value.is_number()) c.counters[key].push_back(value.get<double>());
    }
  }
}

}  // namespace

metric measure_of(const case_runs& c) {
  for (const auto& [counter, unit, scale] : {std::tuple{"bytes_per_second", "GB/s", 1e-9}, std::tuple{"req_per_s", "req/s", 1.0},
                                             std::tuple{"IOPS", "IOPS", 1.0}, std::tuple{"items_per_second", "items/s", 1.0}}) {
    if (const auto it = c.counters.find(counter); it != c.counters.end()) {
      metric m{unit, true, {}, scale};
      for (double v : it->second) m.values.push_back(v * scale);
      return m;
    }
  }
  const double median = spread_of(c.seconds).median;
  const auto [unit, scale] = median >= 1      ? std::pair{"s", 1.0}
                             : median >= 1e-3 ? std::pair{"ms", 1e3}
                             : median >= 1e-6 ? std::pair{"us", 1e6}
                                              : std::pair{"ns", 1e9};
  metric m{unit, false, {}, scale};
  for (double s : c.seconds) m.values.push_back(s * scale);
  return m;
}

results_view::results_view(nlohmann::json results) : doc_(std::move(results)) {
  if (caps::field(doc_, "format", std::string()) != results_format || !doc_.contains("context") ||
      !doc_.contains("suites") || !doc_["suites"].is_object()) {
    throw std::runtime_error(std::string("not a switchyard bench results file (no \"format\": \"") + results_format +
                             "\" with a context and suites); write one with `switchyard bench`");
  }
  for (const auto& [name, entry] : doc_["suites"].items()) {
    if (entry.is_object() && entry.contains("results")) add_runs(cases_, name, entry["results"]);
  }
}

const nlohmann::json* results_view::suite(const std::string& name) const {
  const auto& suites = doc_.at("suites");
  const auto it = suites.find(name);
  return it == suites.end() ? nullptr : &*it;
}

const case_runs* results_view::find(const std::string& suite, const std::string& name) const {
  for (const auto& c : cases_) {
    if (c.suite == suite && c.name == name) return &c;
  }
  return nullptr;
}

double results_view::seconds(const std::string& suite, const std::string& name) const {
  const case_runs* c = find(suite, name);
  return c ? spread_of(c->seconds).median : 0;
}

double results_view::counter(const std::string& suite, const std::string& name, const std::string& counter) const {
  const case_runs* c = find(suite, name);
  if (!c) return 0;
  const auto it = c->counters.find(counter);
  return it == c->counters.end() ? 0 : spread_of(it->second).median;
}

const nlohmann::json& member(const nlohmann::json& j, std::initializer_list<const char*> path) {
  static const nlohmann::json missing;
  const nlohmann::json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return missing;
    const auto it = at->find(key);
    if (it == at->end()) return missing;
    at = &*it;
  }
  return *at;
}

results_view read_results(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(path + " is not JSON: " + e.what());
  }
  try {
    return results_view(std::move(doc));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + " is " + e.what());
  }
}

std::optional<nlohmann::json> close_truncated_benchmark_json(const std::string& text) {
  // The runs were flushed whole, one ReportRuns at a time: the text ends
  // after a run's closing brace (or after the opening of the list), so one
  // of the last few braces closes it. Trying every brace of text that is not
  // such a stream parsed it once per brace (seconds for 16 KiB).
  constexpr int most_tries = 16;
  int tries = 0;
  for (std::size_t end = text.size(); end > 0 && tries++ < most_tries;) {
    const std::size_t brace = text.find_last_of("}[", end - 1);
    if (brace == std::string::npos) break;
    const std::string closed = text.substr(0, brace + 1) + "\n  ]\n}\n";
    auto doc = nlohmann::json::parse(closed, nullptr, false);
    if (!doc.is_discarded() && doc.contains("benchmarks")) return doc;
    end = brace;
  }
  return std::nullopt;
}

}  // namespace switchyard::bench
