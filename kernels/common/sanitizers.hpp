// Whether this translation unit is built with AddressSanitizer or
// ThreadSanitizer, as 0 or 1: GCC says so by macros, clang by
// __has_feature. The kernels, the calibration's fingerprint, the io_uring
// loop and the tests each ask. And what TSan cannot see for itself: reads
// (tsan_reads) and hand-overs between threads (tsan_handing_over).
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
// ThreadSanitizer's own entry points for what it cannot see (declared in
// compiler-rt's tsan_interface.h, which neither compiler installs).
extern "C" void __tsan_read_range(void* addr, unsigned long size);
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
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

/// Tells ThreadSanitizer that what this thread did so far happens before
/// what follows tsan_taking_over(at) on another thread: for a hand-over
/// through the kernel (a ring's messages, memory mapped again), which TSan
/// cannot see; nothing otherwise.
inline void tsan_handing_over(void* at) noexcept {
#if SWITCHYARD_THREAD_SANITIZED
  __tsan_release(at);
#else
  (void)at;
#endif
}

inline void tsan_taking_over(void* at) noexcept {
#if SWITCHYARD_THREAD_SANITIZED
  __tsan_acquire(at);
#else
  (void)at;
#endif
}

}  // namespace switchyard::kernels
