// Small text helpers shared by the caps table and the comparison.
#include "bench/caps/text.hpp"

#include <cmath>

#include <fmt/format.h>

namespace switchyard::caps {

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
  for (const auto& s : strings) out += (out.empty() ? "" : ", ") + s.get<std::string>();
  return out.empty() ? "none" : out;
}

std::string describe_cpu(const nlohmann::json& cpu) {
  return fmt::format("{}, {} socket(s), {} cores, {} threads, {} NUMA node(s)",
                     cpu.value("model", std::string("unknown model")), cpu.value("sockets", 0), cpu.value("cores", 0),
                     cpu.value("threads", 0), cpu.value("numa_nodes", 0));
}

std::string describe_caches(const nlohmann::json& caches) {
  std::string out;
  for (const auto& c : caches) {
    const std::string kind = c.value("type", "");
    const std::string type = kind == "Data" ? "d" : kind == "Instruction" ? "i" : "";
    out += fmt::format("{}L{}{} {} (shared by {})", out.empty() ? "" : ", ", c.value("level", 0), type,
                       bytes(c.value("size_bytes", 0.0)), c.value("shared_by_threads", 0));
  }
  return out.empty() ? "unknown" : out;
}

std::string describe_uring(const nlohmann::json& u) {
  if (!u["available"].get<bool>()) return "unavailable: " + u["reason"].get<std::string>();
  return fmt::format("available; {} opcodes; features {}", u["opcodes"].size(), join(u["features"]));
}

std::string describe_cuda(const nlohmann::json& c) {
  if (!c["available"].get<bool>()) return "none: " + c["reason"].get<std::string>();
  return fmt::format("{} device(s)", c["devices"].size());
}

}  // namespace switchyard::caps
