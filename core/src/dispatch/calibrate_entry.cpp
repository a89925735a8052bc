// switchyard::calibrate (switchyard/calibrate.hpp).
#include <switchyard/calibrate.hpp>
#include <switchyard/engine.hpp>

#include "core/src/engine_state.hpp"
#include "dispatcher.hpp"
#include "fingerprint.hpp"
#include "profile_store.hpp"

namespace switchyard {
namespace {

using detail::memory;
using detail::dispatch::kernel_key;
using kernels::op_kind;

/// "sum/f32/compensated, host: simd below 73,856 elements, threads from there".
std::string crossovers(const detail::dispatch::decision_table& t) {
  const kernel_key shown[] = {
      {op_kind::sum, detail::element_type::f32, accuracy::compensated},
      {op_kind::dot, detail::element_type::f64, accuracy::compensated},
      {op_kind::argmin, detail::element_type::f32, accuracy::fast},
      {op_kind::minmax, detail::element_type::i32, accuracy::fast},
      {op_kind::count, detail::element_type::u8, accuracy::fast},
  };
  std::string out;
  for (const kernel_key& k : shown) {
    for (const memory m : {memory::host, memory::shared}) {
      out += "  " + detail::dispatch::key_name(k) + (m == memory::host ? " (std::vector)" : " (shared_array)") + ":";
      std::uint64_t from = 0;
      for (const auto& b : t.row_of(k, m)) {
        out += ' ';
        out += to_string(b.choice);
        if (from != 0) {
          out += " from ";
          out += std::to_string(from);
        }
        out += ';';
        from = b.below;
      }
      out.back() = '\n';
    }
  }
  return out;
}

}  // namespace

calibration_result calibrate(const calibration_options& options) {
  detail::engine_state& e = options.engine ? options.engine->state() : default_engine().state();
  const auto [model, warning] = e.dispatch().recalibrate({.quick = options.quick, .budget_seconds = options.quick ? 2.0 : 10.0});
  calibration_result r;
  r.seconds = model->p.calibration_seconds;
  r.warning = warning;
  r.other_programs_busy_cores = model->p.others.busy_cores;
  r.cpus = model->p.others.cpus;
  if (warning.empty()) r.profile_path = detail::dispatch::profile_path(model->p.machine).string();
  r.summary = "crossovers, in elements, at " + std::to_string(e.max_threads()) + " threads:\n" + crossovers(model->table);
  return r;
}

}  // namespace switchyard
