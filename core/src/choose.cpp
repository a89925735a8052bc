// Option checks and the choice a call's backend is made by.
#include "choose.hpp"

#include <string>

#include <switchyard/error.hpp>

#include "kernels/common/chunking.hpp"

namespace switchyard::detail {
namespace {

/// From this many elements on, automatic runs threads; below, simd. Threads
/// can only help from a second chunk on, and only once that chunk is big
/// enough to pay for waking a worker. Measured on the 2-core AMD EPYC (Zen 4)
/// build machine with bench/reduce_bench (crossover_*, medians of 3, float
/// sum): threads 1.03x simd at 272 KiB (1.06 chunks), 1.07x at 288 KiB
/// (1.125 chunks), 1.42x at 384 KiB (docs/PERF.md, "crossover").
constexpr std::size_t threads_threshold_elements = kernels::chunk_elements + kernels::chunk_elements / 8;

/// Caller callables cost at least a few cycles an element, so threads pay from
/// a smaller size than for the SIMD kernels: two chunks' worth.
constexpr std::size_t callable_threads_threshold = 2 * generic_chunk_elements;

std::string name_of(backend b) { return std::string(to_string(b)); }

void check_enums(const engine_state& e, const call& c) {
  if (c.opts.accuracy > accuracy::compensated) {
    throw error(errc::invalid_argument,
                "options.accuracy holds " + std::to_string(static_cast<int>(c.opts.accuracy)) +
                    ", which is not a switchyard::accuracy; use fast, pairwise or compensated");
  }
  if (c.opts.backend != backend::automatic && !e.knows(c.opts.backend)) {
    throw error(errc::invalid_argument, "backend invalid cannot run here: backend value " +
                                            std::to_string(static_cast<int>(c.opts.backend)) +
                                            " is not a switchyard::backend; use one of the enum's names");
  }
}

void require_available(const engine_state& e, backend b) {
  if (const backend_status& s = e.status(b); !s.available) {
    throw error(errc::backend_unavailable, "backend " + name_of(b) + " cannot run here: " + s.reason);
  }
}

}  // namespace

choice choose(const engine_state& e, const call& c, bool callables) {
  check_enums(e, c);
  const backend forced = c.opts.backend;
  if (forced != backend::automatic) require_available(e, forced);

  if (c.where == memory::device) {
    if (forced != backend::automatic && !e.backend_for(forced).reads(memory::device)) {
      throw error(errc::unsupported_operation,
                  "backend " + name_of(forced) +
                      " reads host memory, and this input is a device_array in GPU memory; "
                      "use backend::cuda or backend::automatic, or download() the array first");
    }
    require_available(e, backend::cuda);
    return {backend::cuda, forced == backend::automatic ? decided_by::data : decided_by::caller};
  }

  if (callables) {
    if (forced != backend::automatic) {
      if (!e.backend_for(forced).runs_callables()) {
        std::string hint = "use backend::serial, backend::threads or backend::automatic";
        if (c.op == op::count_if) {
          hint += ", or give the comparison's value the element type (gt(0.5f) over floats) so that it runs as a "
                  "built-in comparison on every backend";
        }
        throw error(errc::unsupported_operation,
                    "backend " + name_of(forced) +
                        " runs only the built-in operations, not caller-supplied callables; " + hint);
      }
      return {forced, decided_by::caller};
    }
    if (const auto env = e.forced_by_environment(); env && e.backend_for(*env).runs_callables()) {
      return {*env, decided_by::environment};
    }
    const bool parallel = c.n >= callable_threads_threshold && e.threads_for(c.opts) > 1;
    return {parallel ? backend::threads : backend::serial, decided_by::callables};
  }

  if (forced != backend::automatic) return {forced, decided_by::caller};
  if (const auto env = e.forced_by_environment()) return {*env, decided_by::environment};
  const bool parallel = c.n >= threads_threshold_elements && e.threads_for(c.opts) > 1;
  return {parallel ? backend::threads : backend::simd, decided_by::size};
}

std::string describe_choice(const engine_state& e, const call& c, choice ch) {
  const std::string n = std::to_string(c.n);
  switch (ch.by) {
    case decided_by::caller: return "options.backend forces " + name_of(ch.where);
    case decided_by::environment: return "SWITCHYARD_BACKEND=" + name_of(ch.where) + " forces it";
    case decided_by::data: return "the data is in GPU memory (a device_array), which only cuda reads";
    case decided_by::callables:
      return "the call runs the caller's code, which serial and threads run; " +
             (ch.where == backend::threads
                  ? n + " elements are at least " + std::to_string(callable_threads_threshold) + ", and " +
                        std::to_string(e.threads_for(c.opts)) + " threads may run"
                  : n + " elements are fewer than " + std::to_string(callable_threads_threshold) +
                        " or one thread may run");
    case decided_by::size:
      return ch.where == backend::threads
                 ? n + " elements are at least " + std::to_string(threads_threshold_elements) +
                       " (a chunk and an eighth), and " + std::to_string(e.threads_for(c.opts)) + " threads may run"
                 : n + " elements are fewer than " + std::to_string(threads_threshold_elements) +
                       " (a chunk and an eighth) or one thread may run, so threads cannot pay";
  }
  return {};
}

}  // namespace switchyard::detail
