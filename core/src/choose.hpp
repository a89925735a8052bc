// Choosing a call's backend, in the order DESIGN.md gives: a backend forced in
// the options, then SWITCHYARD_BACKEND, then where the data lives, then what
// automatic's rule picks. The calibrated dispatcher replaces the rule behind
// the same function.
#pragma once

#include <string>

#include <switchyard/backends.hpp>
#include <switchyard/detail/call.hpp>

#include "engine_state.hpp"

namespace switchyard::detail {

struct choice {
  backend where;
  decided_by by;
};

/// The backend that runs c (built-in ops; `callables` for a caller's code).
/// Throws switchyard::error for bad options, a forced backend that cannot run
/// here or cannot run this call, and a bad SWITCHYARD_BACKEND.
choice choose(const engine_state& e, const call& c, bool callables);

/// The choice in words, for explain() and the decision log.
std::string describe_choice(const engine_state& e, const call& c, choice ch);

}  // namespace switchyard::detail
