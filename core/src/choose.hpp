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

/// Throws the switchyard::error for an option out of its enum's range.
[[noreturn, gnu::cold]] void refuse_enums(const engine_state& e, const call& c);
/// Throws the switchyard::error for backend b, which cannot run here.
[[noreturn, gnu::cold]] void refuse_unavailable(backend b, const backend_status& s);

/// Every call passes here: inline, with the refusals out of line.
inline void check_enums(const engine_state& e, const call& c) {
  if (c.opts.accuracy > accuracy::compensated || (c.opts.backend != backend::automatic && !e.knows(c.opts.backend)) ||
      c.where > memory::device) [[unlikely]] {
    refuse_enums(e, c);
  }
}

inline void require_available(const engine_state& e, backend b) {
  if (const backend_status& s = e.status(b); !s.available) [[unlikely]] refuse_unavailable(b, s);
}

/// choose() once the options are checked and a forced backend is
/// available, for the cases past the commonest: GPU memory, a caller's
/// callables, SWITCHYARD_BACKEND, the cost model.
choice choose_checked(const engine_state& e, const call& c, bool callables);

/// The backend that runs c (built-in ops; `callables` for a caller's code).
/// Throws switchyard::error for bad options, a forced backend that cannot run
/// here or cannot run this call, and a bad SWITCHYARD_BACKEND. Inline up to
/// the commonest choice of a short call, a built-in op over host memory on
/// the backend the caller named: out of line, it cost a 1 KiB sum about 5 of
/// its 43 ns on the Zen 1 guest (docs/PERF.md, "A small call's path").
inline choice choose(const engine_state& e, const call& c, bool callables) {
  check_enums(e, c);
  const backend forced = c.opts.backend;
  if (forced != backend::automatic) {
    require_available(e, forced);
    if (!callables && c.where != memory::device) return {forced, decided_by::caller};
  }
  return choose_checked(e, c, callables);
}

/// The choice in words, for the decision log.
std::string describe_choice(const engine_state& e, const call& c, choice ch);

/// The choice with the model's numbers behind it: what explain() returns.
decision explain_choice(const engine_state& e, const call& c, choice ch, bool callables);

}  // namespace switchyard::detail
