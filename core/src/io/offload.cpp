// offload's way onto the compute side: the default engine's threads.
#include <switchyard/engine.hpp>
#include <switchyard/error.hpp>
#include <switchyard/io/offload.hpp>

#include "engine_state.hpp"

namespace switchyard::io::detail {

void run_on_compute(std::function<void()> job) {
  switchyard::detail::throw_if_failed(default_engine().state().backend_for(backend::threads).post(std::move(job)));
}

}  // namespace switchyard::io::detail
