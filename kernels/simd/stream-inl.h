// How every streaming kernel walks its input: a 4 KiB page of turns at a
// time, each page of a whole chunk begun by touching the line 16 KiB ahead.
//
// A hardware prefetcher follows a stream only within a 4 KiB page, and the
// next page's translation is looked up only when a load first needs it. On
// a virtual machine the host maps the guest's memory in 4 KiB pages, whatever
// the guest's own page size, so every 4 KiB of a stream starts with a
// two-level page walk and a cold prefetcher; a loop that keeps fewer bytes
// in flight (the default sum widens floats to double: three times fast's
// micro-ops per byte) waits longest there. One prefetch per page starts both
// early: on the Zen 5 build guest a 2 GiB sum on one thread went from 32-37
// to 39-42 GB/s (fast) and from 32-36 to 38-41 (the default), on two threads
// from 65-72 to 69-82 (docs/PERF.md, "A page ahead"). In cache the kernels
// run as before. One line per page: two or four did no better, and every
// line cost twice the time.
#if defined(SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#endif

#include <cstddef>

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "kernels/common/chunking.hpp"

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {

inline constexpr std::size_t kPageBytes = 4096;
/// How far ahead a page is touched. 8, 16 and 32 KiB measured alike on the
/// Zen 5 guest.
inline constexpr std::size_t kAheadBytes = 16384;

/// The inputs a kernel's loops read (a, and b where not null), and how many
/// of their elements a touch may reach: all of a whole chunk, a piece of a
/// long stream; none of a shorter input, a short call whose data is likely
/// in cache, where a touch only competes (a 64 KiB `fast` sum in L2 took
/// 3-6% longer with them, one of 512 KiB did not). Touching on past a
/// chunk's end, into the next, gained nothing measurable.
template <class In>
struct Stream {
  const In* a;
  const In* b;
  std::size_t touchable;

  static Stream Of(std::size_t n, const In* a, const In* b = nullptr) {
    return {a, b, n >= kernels::chunk_elements ? n : 0};
  }
  /// The same inputs from element `from` on.
  Stream From(std::size_t from) const {
    return {a + from, b != nullptr ? b + from : nullptr, touchable > from ? touchable - from : 0};
  }
};

/// Where the run of turns from i ends: a page of elements on, or the last
/// whole step before `end`, whichever comes first (step, in elements,
/// divides a page: every step here is a power of two, a few vectors). First
/// touches the inputs kAheadBytes ahead of i, where that is touchable. A
/// kernel's loop is
///
///   while (i + step <= end) {
///     for (const std::size_t stop = PageOfTurns(i, end, step, in); i < stop; i += step) ...
///   }
///
/// and its inner loop stays the plain loop it was (a first version that
/// handed each turn to a helper as a lambda made count in L2 15-20% slower).
template <class In>
HWY_INLINE std::size_t PageOfTurns(std::size_t i, std::size_t end, std::size_t step, const Stream<In>& in) {
  constexpr std::size_t page = kPageBytes / sizeof(In);
  constexpr std::size_t ahead = kAheadBytes / sizeof(In);
  if (in.touchable > i + ahead) {
    hwy::Prefetch(in.a + i + ahead);
    if (in.b != nullptr) hwy::Prefetch(in.b + i + ahead);
  }
  return end - i >= page ? i + page : i + (end - i) / step * step;
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
