// The steps of a built-in reduction that run() and reduce_partial() share.
#pragma once

#include <cstddef>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/partial.hpp>

#include "choose.hpp"
#include "engine_state.hpp"

namespace switchyard::detail {

/// Throws the switchyard::error that check_builtin found grounds for.
[[noreturn, gnu::cold]] void refuse_builtin(const call& c);

/// Throws switchyard::error for a call no built-in reduction can run: dot's
/// lengths differ, a type that is not an element type, a bad comparison or op.
/// Inline, with the messages built out of line: every call passes here.
inline void check_builtin(const call& c) {
  if ((c.op == op::dot && c.n != c.n_y) || c.type == element_type::other ||
      (c.op == op::count_if && c.pred_op > comparison::greater) || c.op > op::count_if) [[unlikely]] {
    refuse_builtin(c);
  }
}

/// Pass p's partial of c's input (c.n >= 1) on the backend `where`.
partial reduce_on(engine_state& e, const call& c, backend where, pass p, std::size_t index_base, int scale);

/// Writes the choice to the decision log.
void log_choice(const engine_state& e, const call& c, choice ch);

}  // namespace switchyard::detail
