// Choosing a call's backend, in the order DESIGN.md gives: a backend forced in
// the options, then SWITCHYARD_BACKEND, then where the data lives, then
// (for a caller's callables) serial or threads by the callable model, then
// deterministic = true, then the calibrated cost model.
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

/// The choice in words, for the decision log.
std::string describe_choice(const engine_state& e, const call& c, choice ch);

/// The choice with the model's numbers behind it: what explain() returns.
decision explain_choice(const engine_state& e, const call& c, choice ch, bool callables);

}  // namespace switchyard::detail
