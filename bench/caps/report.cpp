// The capability report as a document and as a table.
#include <chrono>
#include <ctime>
#include <string>

#include <fmt/format.h>
#include <switchyard/config.h>

#include "bench/caps/caps.hpp"
#include "bench/caps/text.hpp"
#include "core/src/dispatch/other_work.hpp"

namespace switchyard::caps {
namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

nlohmann::json build_report(bool quick) {
  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json report{{"schema", "switchyard-caps"},
                        {"schema_version", schema_version},
                        {"switchyard_version", fmt::format("{}.{}.{}", SWITCHYARD_VERSION_MAJOR,
                                                           SWITCHYARD_VERSION_MINOR, SWITCHYARD_VERSION_PATCH)},
                        {"created", utc_now()},
                        {"quick", quick}};
  report["facts"] = probe_facts();
  // Other programs' work while the measurements ran (before the crossovers,
  // whose worker processes would count as other programs).
  const detail::dispatch::other_work_meter meter;
  const std::vector<measurement> measured = measure(report["facts"], quick);
  if (const auto others = meter.close()) {
    report["other_work"] = other_work_json(*others);
  }
  nlohmann::json ms = nlohmann::json::array();
  for (const auto& m : measured) {
    ms.push_back({{"name", m.name}, {"group", m.group}, {"value", m.value}, {"unit", m.unit},
                  {"higher_is_better", m.higher_is_better}, {"method", m.method}});
    if (m.high > 0) ms.back()["spread"] = {{"low", m.low}, {"high", m.high}};
  }
  report["measurements"] = ms;
  report["crossovers"] = measure_crossovers(report["facts"], quick);
  report["elapsed_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

std::string format_report(const nlohmann::json& r) {
  const auto& f = r["facts"];
  const auto& cpu = f["cpu"];
  std::string out = fmt::format("switchyard caps: {} ({}), {}{}\n\n", f["hostname"].get<std::string>(),
                                r["switchyard_version"].get<std::string>(), r["created"].get<std::string>(),
                                r["quick"].get<bool>() ? ", quick" : "");
  out += fmt::format("{:<10}{}\n", "CPU", describe_cpu(cpu));
  out += fmt::format("{:<10}{}\n", "caches", describe_caches(cpu["caches"]));
  out += fmt::format("{:<10}active {}; supported {}; compiled {}\n", "SIMD",
                     f["simd"]["active_target"].get<std::string>(), join(f["simd"]["supported_targets"]),
                     join(f["simd"]["compiled_targets"]));
  if (const auto t = f["simd"].find("kernel_tuning"); t != f["simd"].end() && t->is_string()) {
    out += fmt::format("{:<10}{}\n", "tuning", t->get<std::string>());
  }
  out += fmt::format("{:<10}{} {} ({})\n", "kernel", f["kernel"]["system"].get<std::string>(),
                     f["kernel"]["release"].get<std::string>(), f["kernel"]["machine"].get<std::string>());
  out += fmt::format("{:<10}{}\n", "io_uring", describe_uring(f["io_uring"]));
  out += fmt::format("{:<10}{}\n", "CUDA", describe_cuda(f["cuda"]));
  const double load = f["load_average_1min"].get<double>();
  out += fmt::format("{:<10}{:.2f} (1-minute average before measuring)\n", "load", load);
  if (const auto busy = other_work_of(r)) {
    out += fmt::format("{:<10}other programs kept {:.1f} of {} CPUs busy while it measured{}\n", "", busy->busy_cores,
                       busy->cpus,
                       busy->short_of_cores(busy->cpus) ? "  (other work skews these measurements; measure on an idle machine)"
                                             : "");
  }
  out += "\n";
  out += fmt::format("{:<9}{:<26}{:>12} {:<6} {}\n", "group", "measurement", "value", "unit", "method");
  for (const auto& m : r["measurements"]) {
    out += fmt::format("{:<9}{:<26}{:>12} {:<6} {}\n", m["group"].get<std::string>(), m["name"].get<std::string>(),
                       number(m["value"].get<double>()), m["unit"].get<std::string>(),
                       m["method"].get<std::string>());
  }
  out += "\ncrossovers\n";
  for (const auto& c : r["crossovers"]) {
    out += fmt::format("  {:<24}{:<10} {}\n", c["name"].get<std::string>(),
                       c["bytes"].is_null() ? "never" : bytes(c["bytes"].get<double>()),
                       c["detail"].get<std::string>());
  }
  out += fmt::format("\nmeasured in {:.1f} s\n", r["elapsed_seconds"].get<double>());
  return out;
}

}  // namespace switchyard::caps
