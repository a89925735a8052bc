// The steps of a built-in reduction that run() and reduce_partial() share.
#pragma once

#include <cstddef>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/partial.hpp>

#include "choose.hpp"
#include "engine_state.hpp"

namespace switchyard::detail {

/// Throws switchyard::error for a call no built-in reduction can run: dot's
/// lengths differ, a type that is not an element type, a bad comparison or op.
void check_builtin(const call& c);

/// Pass p's partial of c's input (c.n >= 1) on the backend `where`.
partial reduce_on(engine_state& e, const call& c, backend where, pass p, std::size_t index_base, int scale);

/// Writes the choice to the decision log.
void log_choice(const engine_state& e, const call& c, choice ch);

}  // namespace switchyard::detail
