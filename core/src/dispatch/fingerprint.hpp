// This process's hardware and build, as a profile is keyed by.
#pragma once

#include "profile.hpp"

namespace switchyard::detail {
class engine_state;
}

namespace switchyard::detail::dispatch {

/// Read once per engine: /proc/cpuinfo, the caches (sysconf), Highway's
/// target, the GPU (NVIDIA's driver files), the library version and build.
fingerprint fingerprint_here(const engine_state& e);

}  // namespace switchyard::detail::dispatch
