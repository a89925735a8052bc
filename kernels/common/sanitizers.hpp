// Whether this translation unit is built with AddressSanitizer or
// ThreadSanitizer, as 0 or 1: GCC says so by macros, clang by
// __has_feature. The kernels, the calibration's fingerprint and the tests
// each ask. And tsan_reads, for reads TSan cannot see for itself.
#pragma once

#include <cstddef>

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

#if SWITCHYARD_THREAD_SANITIZED
// ThreadSanitizer's own entry point for an access it cannot see (declared in
// compiler-rt's tsan_interface.h, which neither compiler installs).
extern "C" void __tsan_read_range(void* addr, unsigned long size);
#endif

namespace switchyard::kernels {

/// Tells ThreadSanitizer that [p, p + bytes) is read here; nothing otherwise.
/// The tsan build compiles the SIMD kernels uninstrumented (kernels/CMakeLists.txt
/// says why), so their callers say what they read.
inline void tsan_reads(const void* p, std::size_t bytes) noexcept {
#if SWITCHYARD_THREAD_SANITIZED
  if (bytes != 0) __tsan_read_range(const_cast<void*>(p), bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace switchyard::kernels
