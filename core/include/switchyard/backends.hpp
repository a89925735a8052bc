// Which backends this build and this machine can run, and why not when not.
#pragma once

#include <string>

#include <switchyard/options.hpp>

namespace switchyard {

/// Whether a backend can run here; when not, `reason` says why and what to do.
struct backend_status {
  bool available = false;
  std::string reason;
};

/// The status of one backend. `automatic` is always available.
backend_status availability(backend b);

}  // namespace switchyard
