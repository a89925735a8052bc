// Which backends this build and this machine can run, why not when not, and
// which one a call would run on.
#pragma once

#include <string>
#include <vector>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/export.hpp>
#include <switchyard/detail/range.hpp>
#include <switchyard/op.hpp>
#include <switchyard/options.hpp>

namespace switchyard {

/// Whether a backend can run here; when not, `reason` says why and what to do.
struct backend_status {
  bool available = false;
  std::string reason;
};

/// The status of one backend in the default engine. `automatic` is always
/// available.
SWITCHYARD_API backend_status availability(backend b);

/// What decided a call's backend, in the order they are honoured.
enum class decided_by : unsigned char {
  caller,       ///< options.backend forced it
  environment,  ///< SWITCHYARD_BACKEND forced it
  data,         ///< only this backend reads where the data lives (a device_array)
  callables,    ///< the call runs the caller's code, which only serial and threads can
  determinism,  ///< deterministic = true left out a backend the model would have chosen
  model,        ///< the calibrated cost model: the cheapest backend, ties to the simpler
};

/// "caller", "environment", "data", "callables", "determinism", "model".
SWITCHYARD_API std::string_view to_string(decided_by d) noexcept;

/// The model's prediction for one backend, in nanoseconds.
struct predicted_cost {
  switchyard::backend backend = switchyard::backend::serial;
  double fixed_ns = 0;     ///< what a call costs before it reads anything
  double bytes_ns = 0;     ///< the data's bytes over the backend's throughput where the data fits
  double transfer_ns = 0;  ///< moving the data where the backend reads it (staging copy, the bus)
  double total_ns() const noexcept { return fixed_ns + bytes_ns + transfer_ns; }
};

/// A backend the decision did not consider, and why.
struct excluded_backend {
  switchyard::backend backend = switchyard::backend::serial;
  std::string reason;
};

/// The backend a call runs on, and why: what explain() returns (and, in
/// `reason`, what SWITCHYARD_LOG=decisions logs for every call).
struct decision {
  switchyard::backend backend = switchyard::backend::serial;
  decided_by by = decided_by::model;
  std::string reason;
  /// Every backend the model priced for this call, cheapest first.
  std::vector<predicted_cost> candidates;
  /// The runner-up's predicted time over the chosen one's (1 when alone);
  /// below 1.05 the two are a near-tie, which goes to the simpler backend.
  double margin = 1;
  /// Whether the call's size lies within the sizes calibration measured
  /// (0.9x the smallest to 1.1x the largest); outside, the model extrapolates.
  bool in_calibrated_range = false;
  /// Whether the model runs on built-in defaults rather than a measurement
  /// of this machine, and where its numbers come from.
  bool from_defaults = false;
  std::string profile;
  /// Backends that could not run this call here, and why.
  std::vector<excluded_backend> left_out;
};

/// The decision as a table: one line per candidate with its predicted
/// parts, then what was left out and where the numbers come from.
SWITCHYARD_API std::string to_string(const decision& d);

/// Which backend `o` over `data` with these options would run on, and why.
/// Throws switchyard::error for options the call itself would refuse.
template <detail::contiguous_input R>
decision explain(op o, const R& data, const options& opts = {}) {
  return detail::explain(detail::describe(o, detail::as_span(data), opts, detail::location_of<R>));
}

}  // namespace switchyard
