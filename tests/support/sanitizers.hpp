// Whether this test binary is built with AddressSanitizer or
// ThreadSanitizer, for the suites that size their largest inputs to it (each
// says why), and whether with ThreadSanitizer, for the checks of worker
// processes' work, which it does not see.
#pragma once

#include "kernels/common/sanitizers.hpp"

namespace switchyard::testing {

inline constexpr bool address_sanitized = SWITCHYARD_ADDRESS_SANITIZED;
inline constexpr bool thread_sanitized = SWITCHYARD_THREAD_SANITIZED;
inline constexpr bool sanitized = address_sanitized || thread_sanitized;

}  // namespace switchyard::testing
