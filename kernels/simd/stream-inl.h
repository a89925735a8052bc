// The main loop every streaming kernel runs: turns over the input, a page of
// them at a time, each page begun by touching the line a few pages ahead.
//
// Why: a hardware prefetcher follows a stream only within a 4 KiB page, and
// the next page's translation is found only when a load first needs it. On a
// virtual machine the host maps the guest's memory in 4 KiB pages whatever
// the guest's own page size, so every 4 KiB of a stream starts with a
// two-level page walk and a cold prefetcher, and a loop that keeps fewer
// bytes in flight (the default sum widens floats to double: three times
// fast's instructions per byte) waits longest there. One prefetch per page,
// 16 KiB ahead, starts both early: on the Zen 5 build guest the default sum
// of 2 GiB on one thread went from 1.04-1.10x to 0.82-0.96x the time of a
// hand-written fast loop that does not prefetch, and fast itself gained as
// much (docs/PERF.md, "A page ahead"). Where memory is mapped in large pages
// the touch finds the line already on its way, and one instruction per 4 KiB
// costs nothing measurable in cache.
#if defined(SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#endif

#include <algorithm>
#include <cstddef>

#include <hwy/cache_control.h>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {

inline constexpr std::size_t kPageBytes = 4096;
/// How far ahead a page is touched. 8, 16 and 32 KiB measured alike on the
/// Zen 5 guest.
inline constexpr std::size_t kAheadBytes = 16384;

/// Where the run of turns from i ends: a page of elements on, or the last
/// whole step before `end`, whichever comes first (step, in elements,
/// divides a page: every step here is a power of two, a few vectors). First
/// touches the inputs (a, and b where not null) kAheadBytes ahead of i where
/// that is before `readable` elements (by default `end`; the extremum kernel
/// scans 16 KiB blocks of a longer chunk), so that a short input pulls in no
/// line past its end. A kernel's loop is
///
///   while (i + step <= end) {
///     for (const std::size_t stop = PageOfTurns(i, end, step, a); i < stop; i += step) ...
///   }
///
/// and its inner loop stays the plain loop it was (a lambda per turn cost
/// the count kernel two register moves a turn).
template <class In>
HWY_INLINE std::size_t PageOfTurns(std::size_t i, std::size_t end, std::size_t step, const In* a,
                                   const In* b = nullptr, std::size_t readable = 0) {
  constexpr std::size_t page = kPageBytes / sizeof(In);
  constexpr std::size_t ahead = kAheadBytes / sizeof(In);
  if (std::max(readable, end) - i > ahead) {
    hwy::Prefetch(a + i + ahead);
    if (b != nullptr) hwy::Prefetch(b + i + ahead);
  }
  return end - i >= page ? i + page : i + (end - i) / step * step;
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
