// Names of the option enums, the ops and what decided a call, for messages and
// reports. The backends' names come from the registry, their one list.
#include <cstdio>
#include <string>

#include <switchyard/backends.hpp>
#include <switchyard/op.hpp>
#include <switchyard/options.hpp>

#include "registry.hpp"

namespace switchyard {

std::string_view to_string(backend b) noexcept {
  if (b == backend::automatic) return "automatic";
  if (const detail::backend_entry* e = detail::find_backend(b)) return e->name;
  return "invalid";
}

std::string_view to_string(accuracy a) noexcept {
  switch (a) {
    case accuracy::fast: return "fast";
    case accuracy::pairwise: return "pairwise";
    case accuracy::compensated: return "compensated";
  }
  return "invalid";
}

std::string_view to_string(op o) noexcept {
  switch (o) {
    case op::sum: return "sum";
    case op::dot: return "dot";
    case op::sum_of_squares: return "sum_of_squares";
    case op::norm2: return "norm2";
    case op::min: return "min";
    case op::max: return "max";
    case op::argmin: return "argmin";
    case op::argmax: return "argmax";
    case op::minmax: return "minmax";
    case op::count_if: return "count_if";
    case op::transform_reduce: return "transform_reduce";
  }
  return "invalid";
}

std::string_view to_string(decided_by d) noexcept {
  switch (d) {
    case decided_by::caller: return "caller";
    case decided_by::environment: return "environment";
    case decided_by::data: return "data";
    case decided_by::callables: return "callables";
    case decided_by::determinism: return "determinism";
    case decided_by::model: return "model";
  }
  return "invalid";
}

std::string to_string(const decision& d) {
  std::string out = std::string(to_string(d.backend)) + " (decided by " + std::string(to_string(d.by)) + "): " + d.reason + "\n";
  if (!d.candidates.empty()) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-10s %14s %14s %14s %14s\n", "backend", "predicted ns", "fixed ns", "bytes ns",
                  "transfer ns");
    out += line;
    for (const predicted_cost& c : d.candidates) {
      std::snprintf(line, sizeof line, "  %-10s %14.0f %14.0f %14.0f %14.0f%s\n", std::string(to_string(c.backend)).c_str(),
                    c.total_ns(), c.fixed_ns, c.bytes_ns, c.transfer_ns, c.backend == d.backend ? "  <- chosen" : "");
      out += line;
    }
    std::snprintf(line, sizeof line, "  margin to the runner-up: %.2fx; size %s the calibrated range\n", d.margin,
                  d.in_calibrated_range ? "inside" : "outside");
    out += line;
  }
  for (const excluded_backend& l : d.left_out) out += "  left out " + std::string(to_string(l.backend)) + ": " + l.reason + "\n";
  out += "  numbers from " + d.profile + (d.from_defaults ? " (defaults)" : "") + "\n";
  return out;
}

}  // namespace switchyard
