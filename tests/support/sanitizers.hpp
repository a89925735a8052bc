// Whether this test binary is built with AddressSanitizer or
// ThreadSanitizer, for the suites that size their largest inputs to it (each
// says why), and whether with ThreadSanitizer, for single-threaded checks
// that have nothing to show it. GCC says so by macros, clang by
// __has_feature.
#pragma once

#if defined(__has_feature)
#define SWITCHYARD_TEST_HAS_FEATURE(x) __has_feature(x)
#else
#define SWITCHYARD_TEST_HAS_FEATURE(x) 0
#endif

namespace switchyard::testing {

#if defined(__SANITIZE_ADDRESS__) || SWITCHYARD_TEST_HAS_FEATURE(address_sanitizer)
inline constexpr bool address_sanitized = true;
#else
inline constexpr bool address_sanitized = false;
#endif

#if defined(__SANITIZE_THREAD__) || SWITCHYARD_TEST_HAS_FEATURE(thread_sanitizer)
inline constexpr bool thread_sanitized = true;
#else
inline constexpr bool thread_sanitized = false;
#endif

inline constexpr bool sanitized = address_sanitized || thread_sanitized;

}  // namespace switchyard::testing
