// Which backends this build has and this machine can run.
#include <switchyard/backends.hpp>
#include <switchyard/config.h>

#include <string>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/processes/pool.hpp"

namespace switchyard {

backend_status availability(backend b) {
  switch (b) {
    case backend::automatic:
    case backend::serial:
    case backend::simd:
    case backend::threads:
      return {true, {}};
    case backend::processes: {
      static const std::string reason = backends::processes::unavailable_reason();
      if (reason.empty()) return {true, {}};
      return {false, reason + "; use backend::threads for parallel CPU work"};
    }
    case backend::cuda: {
      static const std::string reason = backends::cuda::unavailable_reason();
      if (reason.empty()) return {true, {}};
      return {false, reason};
    }
  }
  return {false, "backend value " + std::to_string(static_cast<int>(b)) +
                     " is not a switchyard::backend; use one of the enum's names"};
}

}  // namespace switchyard
