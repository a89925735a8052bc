// Small text helpers shared by the caps table and the comparison.
#include "bench/caps/text.hpp"

#include <cmath>

#include <fmt/format.h>

namespace switchyard::caps {

std::optional<detail::dispatch::other_work> other_work_of(const nlohmann::json& document) {
  if (!document.is_object() || !document.contains("other_work")) return std::nullopt;
  const nlohmann::json& o = document["other_work"];
  const double busy = field(o, "busy_cores", -1.0), cpus = field(o, "cpus", 0.0);
  if (!(busy >= 0) || !(cpus >= 1) || busy > cpus || cpus != std::floor(cpus)) return std::nullopt;
  return detail::dispatch::other_work{busy, static_cast<unsigned>(cpus)};
}

nlohmann::json other_work_json(const detail::dispatch::other_work& o) {
  return {{"busy_cores", o.busy_cores}, {"cpus", o.cpus}};
}

std::string bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return std::floor(b) == b ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.1f} {}", b, units[u]);
}

std::string number(double v) {
  if (v == 0) return "0";
  const double mag = std::abs(v);
  if (mag >= 100) return fmt::format("{:.0f}", v);
  if (mag >= 10) return fmt::format("{:.1f}", v);
  if (mag >= 0.01) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3g}", v);
}

std::string join(const nlohmann::json& strings) {
  std::string out;
  if (strings.is_array()) {
    for (const auto& s : strings) out += (out.empty() ? "" : ", ") + (s.is_string() ? s.get<std::string>() : s.dump());
  }
  return out.empty() ? "none" : out;
}

// Counts are read as doubles and printed with {:g}: a hand-edited report may
// hold any number there, and converting 1e300 to an int is undefined.
std::string describe_cpu(const nlohmann::json& cpu) {
  std::string model = field(cpu, "model", std::string("unknown model"));
  // Reports from before 2026-12-06 have no family (NaN: a JSON number never is).
  const double family = field(cpu, "family", std::nan("")), model_number = field(cpu, "model_number", std::nan(""));
  if (!std::isnan(family) && !std::isnan(model_number)) {
    model += fmt::format(" (family {:g} model {:g})", family, model_number);
  }
  std::string out = fmt::format("{}, {:g} socket(s), {:g} cores, {:g} threads, {:g} NUMA node(s)", model,
                                field(cpu, "sockets", 0.0),
                                field(cpu, "cores", 0.0), field(cpu, "threads", 0.0), field(cpu, "numa_nodes", 0.0));
  // Reports from before the quota was read have neither field.
  if (cpu.is_object() && cpu.contains("cpu_quota") && cpu["cpu_quota"].is_number()) {
    const double quota = cpu["cpu_quota"].get<double>();
    out += fmt::format("; cgroup CPU quota {:g} CPU{}, so {:g} thread(s) used", quota, quota == 1 ? "" : "s",
                       field(cpu, "usable_threads", 0.0));
  }
  return out;
}

std::string describe_caches(const nlohmann::json& caches) {
  std::string out;
  if (!caches.is_array()) return "unknown";
  for (const auto& c : caches) {
    const std::string kind = field(c, "type", std::string());
    const std::string type = kind == "Data" ? "d" : kind == "Instruction" ? "i" : "";
    out += fmt::format("{}L{:g}{} {} (shared by {:g})", out.empty() ? "" : ", ", field(c, "level", 0.0), type,
                       bytes(field(c, "size_bytes", 0.0)), field(c, "shared_by_threads", 0.0));
  }
  return out.empty() ? "unknown" : out;
}

std::string describe_uring(const nlohmann::json& u) {
  if (!field(u, "available", false)) return "unavailable: " + field(u, "reason", std::string("no reason given"));
  const std::size_t opcodes = u.contains("opcodes") && u["opcodes"].is_array() ? u["opcodes"].size() : 0;
  return fmt::format("available; {} opcodes; features {}", opcodes, join(u.is_object() ? u.value("features", nlohmann::json()) : nlohmann::json()));
}

std::string describe_cuda(const nlohmann::json& c) {
  if (!field(c, "available", false)) return "none: " + field(c, "reason", std::string("no reason given"));
  std::string out;
  if (c.contains("devices") && c["devices"].is_array()) {
    for (const auto& d : c["devices"]) {
      if (!d.is_object()) continue;
      out += fmt::format("{}{} ({}, {:g} SMs, {} GiB)", out.empty() ? "" : "; ", field(d, "name", std::string("?")),
                         field(d, "compute_capability", std::string("?")), field(d, "multiprocessors", 0.0),
                         number(field(d, "memory_bytes", 0.0) / double(1 << 30)));
    }
  }
  if (out.empty()) out = "no devices";
  return out + fmt::format("; driver {}, runtime {}", field(c, "driver_version", std::string("?")),
                           field(c, "runtime_version", std::string("?")));
}

}  // namespace switchyard::caps
