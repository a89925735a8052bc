// Runs the chunks of a caller-callable reduction on serial or threads.
#include <switchyard/detail/chunk_runner.hpp>

#include "backends/threads/threads.hpp"

namespace switchyard::detail {

void run_chunks(backend b, std::size_t count, unsigned max_threads,
                function_ref<void(std::size_t)> body) {
  if (b == backend::threads) {
    backends::threads::for_each(count, max_threads, body);
  } else {
    for (std::size_t i = 0; i < count; ++i) body(i);
  }
}

}  // namespace switchyard::detail
