// offload's way onto the compute side.
#include <switchyard/io/offload.hpp>

#include "backends/threads/threads.hpp"

namespace switchyard::io::detail {

void run_on_compute(std::function<void()> job) { backends::threads::enqueue(std::move(job)); }

}  // namespace switchyard::io::detail
