// Whether this translation unit is built with AddressSanitizer or
// ThreadSanitizer, as 0 or 1: GCC says so by macros, clang by
// __has_feature. The kernels, the calibration's fingerprint and the tests
// each ask.
#pragma once

#if defined(__has_feature)
#define SWITCHYARD_HAS_FEATURE(x) __has_feature(x)
#else
#define SWITCHYARD_HAS_FEATURE(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || SWITCHYARD_HAS_FEATURE(address_sanitizer)
#define SWITCHYARD_ADDRESS_SANITIZED 1
#else
#define SWITCHYARD_ADDRESS_SANITIZED 0
#endif

#if defined(__SANITIZE_THREAD__) || SWITCHYARD_HAS_FEATURE(thread_sanitizer)
#define SWITCHYARD_THREAD_SANITIZED 1
#else
#define SWITCHYARD_THREAD_SANITIZED 0
#endif
