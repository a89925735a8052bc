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
choice choose_any(const engine_state& e, const call& c, bool callables);

/// choose_any, with the commonest case of a short call inline: a built-in op
/// over host memory on the backend the caller named, which is available.
inline choice choose(const engine_state& e, const call& c, bool callables) {
  const backend forced = c.opts.backend;
  if (!callables && forced != backend::automatic && c.where < memory::device &&
      c.opts.accuracy <= accuracy::compensated && e.knows(forced) && e.status(forced).available) [[likely]] {
    return {forced, decided_by::caller};
  }
  return choose_any(e, c, callables);
}

/// The choice in words, for the decision log.
std::string describe_choice(const engine_state& e, const call& c, choice ch);

/// The choice with the model's numbers behind it: what explain() returns.
decision explain_choice(const engine_state& e, const call& c, choice ch, bool callables);

}  // namespace switchyard::detail
