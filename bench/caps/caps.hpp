// The machine capability report behind `switchyard caps` and
// `switchyard compare`: facts read from the system, costs and bandwidths
// measured, and the routing crossovers they imply, as one versioned JSON
// document (docs/schema/caps.schema.json).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchyard::caps {

/// The document's "schema_version"; bump when a field changes meaning.
inline constexpr int schema_version = 1;

/// One measured quantity, with what it means and how it was measured.
struct measurement {
  std::string name;    ///< stable key, e.g. "memory_read_1_thread"
  std::string group;   ///< "compute", "memory", "os", "io", "gpu"
  double value;        ///< in `unit`
  std::string unit;    ///< "GB/s", "us", "ns"
  bool higher_is_better;
  std::string method;  ///< how it was measured, in a sentence
  double low = 0;      ///< the spread of the repetitions (range, or quartiles for a median); 0 and 0: not kept
  double high = 0;
};

/// What the machine is: CPU, caches, SIMD targets, kernel, io_uring, CUDA.
nlohmann::json probe_facts();

/// What the machine does: measured with switchyard's own kernels and plain
/// system calls. quick: fewer repetitions (<= 2 s in all), same sizes.
std::vector<measurement> measure(const nlohmann::json& facts, bool quick);

/// The sizes at which routing changes on this machine, measured where the
/// backends exist: each {name, bytes (or null: never), detail}.
nlohmann::json measure_crossovers(const nlohmann::json& facts, bool quick);

/// The whole report: facts, measurements and the crossovers they imply.
nlohmann::json build_report(bool quick);

/// The report as a human-readable table.
std::string format_report(const nlohmann::json& report);

/// Throws std::runtime_error, naming `name` and what is missing or wrong,
/// unless `report` is a caps report of this schema version with everything
/// format_comparison reads.
void check_report(const nlohmann::json& report, const std::string& name);

/// The facts that decide how the figures of two reports compare, where they
/// differ: CPU, SIMD target, caches, kernel, load, quick or full. Each entry
/// a sentence ("SIMD target: AVX2 on A, AVX3 on B").
std::vector<std::string> fact_differences(const nlohmann::json& a, const nlohmann::json& b,
                                          const std::string& label_a = "A", const std::string& label_b = "B");

/// Reports side by side: values, ratios to the first, grouped, with the
/// crossovers that change routing pointed out. Throws std::runtime_error for
/// a document that is not a caps report of this schema version.
std::string format_comparison(const std::vector<nlohmann::json>& reports, const std::vector<std::string>& labels);

}  // namespace switchyard::caps
