// Option checks and the choice that backend::automatic makes.
#include "plan.hpp"

#include <string>

#include <switchyard/backends.hpp>
#include <switchyard/detail/chunk_runner.hpp>
#include <switchyard/error.hpp>

#include "backends/threads/threads.hpp"

namespace switchyard::detail {
namespace {

bool parallel_pays(std::size_t n, unsigned max_threads) {
  return n >= threads_threshold_elements && backends::threads::concurrency(max_threads) > 1;
}

/// Caller callables cost at least a few cycles an element, so threads pay from
/// a smaller size than for the SIMD kernels: two chunks' worth.
constexpr std::size_t callable_threads_threshold = 2 * generic_chunk_elements;

}  // namespace

void check_options(const options& o) {
  if (to_string(o.accuracy) == "invalid") {
    throw error(errc::invalid_argument,
                "options.accuracy holds " + std::to_string(static_cast<int>(o.accuracy)) +
                    ", which is not a switchyard::accuracy; use fast, pairwise or compensated");
  }
  const backend_status s = availability(o.backend);
  if (!s.available) {
    const errc code = to_string(o.backend) == "invalid" ? errc::invalid_argument : errc::backend_unavailable;
    throw error(code, "backend " + std::string(to_string(o.backend)) + " cannot run here: " + s.reason);
  }
}

plan plan_builtin(const options& o, std::size_t n, memory input) {
  check_options(o);
  backend where = o.backend;
  if (input == memory::device) {
    if (where != backend::automatic && where != backend::cuda) {
      throw error(errc::unsupported_operation,
                  "backend " + std::string(to_string(where)) +
                      " reads host memory, and this input is a device_array in GPU memory; "
                      "use backend::cuda or backend::automatic, or download() the array first");
    }
    where = backend::cuda;
    check_options({.backend = where, .accuracy = o.accuracy});
  } else if (where == backend::automatic) {
    where = parallel_pays(n, o.max_threads) ? backend::threads : backend::simd;
  }
  return {where, o.accuracy, o.max_threads, o.deterministic, input};
}

backend resolve_for_callables(const options& o, std::size_t n) {
  check_options(o);
  switch (o.backend) {
    case backend::automatic:
      return n >= callable_threads_threshold && backends::threads::concurrency(o.max_threads) > 1
                 ? backend::threads
                 : backend::serial;
    case backend::serial:
    case backend::threads:
      return o.backend;
    default:
      throw error(errc::unsupported_operation,
                  "backend " + std::string(to_string(o.backend)) +
                      " runs only the built-in operations, not caller-supplied callables; "
                      "use backend::serial, backend::threads or backend::automatic");
  }
}

}  // namespace switchyard::detail
