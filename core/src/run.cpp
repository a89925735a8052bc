// The library's one entry for built-in reductions: check the call, choose its
// backend, reduce the whole input to its partial and finish it into the op's
// result (partial.cpp holds the steps); a call of one chunk on a chunked
// backend runs whole instead (one_chunk.hpp). Also the entry for a caller's
// callables, and explain().
#include <chrono>

#include <switchyard/backends.hpp>
#include <switchyard/detail/call.hpp>
#include <switchyard/detail/partial.hpp>
#include <switchyard/error.hpp>

#include "choose.hpp"
#include "engine_state.hpp"
#include "kernels/common/chunking.hpp"
#include "log_sink.hpp"
#include "partial_run.hpp"

namespace switchyard::detail {

namespace {

/// The backend's reduce() pass by pass, each pass's partial finished in turn;
/// timed for the dispatcher's drift check when it asked for a sample. Out of
/// line, so a small call does not pay for setting up its frame.
[[gnu::noinline]] void run_stepwise(engine_state& e, const call& c, backend where, bool sampled, void* result) {
  const auto t0 = sampled ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  partials ps;
  while (ps.next != pass::done) {
    ps.of_next() = reduce_on(e, c, where, ps.next, 0, ps.scale);
    finish(c, ps, result);
  }
  if (sampled) [[unlikely]] {
    const dispatch::query q{dispatch::key_of(c), c.where, c.n, e.threads_for(c.opts)};
    e.dispatch().observe(q, where, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
  }
}

}  // namespace

void run(const call& c, void* result) {
  check_builtin(c);
  engine_state& e = state_of(c.opts);
  const choice ch = choose(e, c, false);
  if (decisions_on()) [[unlikely]] log_choice(e, c, ch);
  if (c.n == 0) return;  // the caller's result is value-initialized: 0 or nullopt
  const bool sampled = ch.by == decided_by::model &&
                       static_cast<double>(c.n * c.element_bytes) >= dispatch::dispatcher::drift_sample_bytes &&
                       e.dispatch().wants_sample();
  if (c.n <= kernels::chunk_elements && !sampled) {
    if (const one_chunk_calls* calls = e.one_chunk(ch.where);
        calls != nullptr && (*calls)[static_cast<std::size_t>(c.op)][static_cast<std::size_t>(c.type)](c, result)) {
      return;
    }
  }
  run_stepwise(e, c, ch.where, sampled, result);
}

void run_callable(const call& c, std::size_t chunks, function_ref<void(std::size_t)> body) {
  engine_state& e = state_of(c.opts);
  const choice ch = choose(e, c, true);
  if (decisions_on()) [[unlikely]] log_choice(e, c, ch);
  if (chunks == 0) return;
  throw_if_failed(e.backend_for(ch.where).run_chunks(chunks, e.threads_for(c.opts), body));
}

decision explain(const call& c) {
  engine_state& e = state_of(c.opts);
  const bool callables = c.op == op::transform_reduce || (c.type == element_type::other);
  const choice ch = choose(e, c, callables);
  return explain_choice(e, c, ch, callables);
}

}  // namespace switchyard::detail
