// results.json, the one file `switchyard bench` writes everything into: each
// suite's Google Benchmark JSON (or the dispatch suite's own), and one
// context (the caps report, commit, build type, load before and after). A
// view of it by case, with the repetitions of every time and counter, is
// what the report, the goals and `compare` read.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchyard::bench {

/// results.json's "format": bump when a field changes meaning.
inline constexpr const char* results_format = "switchyard-bench-results/1";

/// One benchmark case of one suite, over its repetitions.
struct case_runs {
  std::string suite;
  std::string name;     ///< Google Benchmark's run name without the timing suffixes: "sweep_sum/simd/bytes:4096"
  std::string family;   ///< "sweep_sum"
  std::string variant;  ///< "simd"
  std::string arg_name; ///< "bytes", "in_flight", or "" without an argument
  double arg = 0;
  std::string label;
  std::string error;                                   ///< Google Benchmark's error message, if the case failed
  std::vector<double> seconds;                         ///< per repetition, per iteration
  std::map<std::string, std::vector<double>> counters; ///< per repetition: bytes_per_second, req_per_s, ...
};

/// What a case reports: a rate where it has one (bytes, requests,
/// operations or items per second; higher is better), else its time per
/// iteration, in a unit that suits its size.
struct metric {
  std::string unit;
  bool higher_is_better = true;
  std::vector<double> values;  ///< per repetition, in `unit`
  double per_base = 1;         ///< `unit`s per second, or per the rate's base (GB/s: 1e-9 per byte/s)
};
metric measure_of(const case_runs& c);

class results_view {
 public:
  /// Throws std::runtime_error when `results` is not a results.json.
  explicit results_view(nlohmann::json results);

  const nlohmann::json& document() const { return doc_; }
  const nlohmann::json& context() const { return doc_.at("context"); }
  const std::vector<case_runs>& cases() const { return cases_; }
  /// The suite's entry ({"status", "reason", "seconds", "results"}), or nullptr.
  const nlohmann::json* suite(const std::string& name) const;
  const case_runs* find(const std::string& suite, const std::string& name) const;
  /// Medians over repetitions; 0 when the case or counter is absent.
  double seconds(const std::string& suite, const std::string& name) const;
  double counter(const std::string& suite, const std::string& name, const std::string& counter) const;

 private:
  nlohmann::json doc_;
  std::vector<case_runs> cases_;
};

/// j[path[0]][path[1]]..., or a null value where a key is missing: for
/// reading documents whose optional parts may be absent, without copies.
const nlohmann::json& member(const nlohmann::json& j, std::initializer_list<const char*> path);

/// Reads a results.json; throws std::runtime_error saying what is wrong.
results_view read_results(const std::string& path);

/// Closes the JSON a Google Benchmark suite streamed before it was stopped
/// (runs so far, no closing brackets); nullopt when nothing usable came.
std::optional<nlohmann::json> close_truncated_benchmark_json(const std::string& text);

}  // namespace switchyard::bench
