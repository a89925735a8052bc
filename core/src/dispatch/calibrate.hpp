// Measuring this machine into a profile: every available backend, each
// kernel's fixed cost and speed, the bandwidth at each cache level, the
// processes backend's staging copy, the GPU's bus.
#pragma once

#include "profile.hpp"

namespace switchyard::detail {
class engine_state;
}

namespace switchyard::detail::dispatch {

struct calibration_plan {
  bool quick = false;
  /// Stop measuring after this long; entries not reached keep the built-in
  /// defaults (measured = false), and explain() says so.
  double budget_seconds = 10;
};

/// A profile of this machine, measured with the engine's backends.
profile calibrate(engine_state& e, const fingerprint& here, const calibration_plan& plan);

/// p with kernel k's rates measured again (and b's fixed cost, if b spreads
/// chunks over threads): drift recovery, a few milliseconds.
profile remeasure(engine_state& e, const profile& p, kernel_key k, backend b);

}  // namespace switchyard::detail::dispatch
