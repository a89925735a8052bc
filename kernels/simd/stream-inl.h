// How every streaming kernel walks its input: a run of turns at a time,
// each run of a whole chunk begun by touching lines ahead, as this CPU's
// stream policy says (kernels/common/stream_policy.hpp: what is touched,
// how far ahead, and why it differs between Intel and AMD cores).
//
// A hardware prefetcher follows a stream only within a 4 KiB page, and the
// next page's translation is looked up only when a load first needs it. On
// a virtual machine the host maps the guest's memory in 4 KiB pages, whatever
// the guest's own page size, so every 4 KiB of a stream starts with a
// two-level page walk and a cold prefetcher; a loop that keeps fewer bytes
// in flight (the default sum widens floats to double: three times fast's
// micro-ops per byte) waits longest there. Touches ahead start both early
// (docs/PERF.md, "A page ahead"). In cache the kernels run as before.
#if defined(SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_STREAM_INL_H_
#endif

#include <cstddef>
#include <utility>

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "kernels/common/chunking.hpp"
#include "kernels/common/stream_policy.hpp"
#include "kernels/simd/inline_lambda.hpp"

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {

/// The inputs a kernel's loops read (a, and b where not null), how many of
/// their elements a touch may reach, and the stream policy in elements: a
/// touch reaches all of a whole chunk, a piece of a long stream; none of a
/// shorter input, a short call whose data is likely in cache, where a touch
/// only competes (a 64 KiB `fast` sum in L2 took 3-6% longer with them, one
/// of 512 KiB did not), and which so runs without asking for the policy.
/// Touching on past a chunk's end, into the next, gained nothing
/// measurable.
template <class In>
struct Stream {
  static constexpr std::size_t kLine = 64 / sizeof(In);

  const In* a;
  const In* b;
  std::size_t touchable;
  bool every_line;    // lines_ahead: each line of a run, else one line
  std::size_t run;    // elements
  std::size_t ahead;  // elements

  /// `lightest`: a loop of one load and one add per vector (the same-type
  /// fast sum), which streams at the read bandwidth with a touch per page on
  /// every CPU measured and lost 3-9% on Intel with every line touched; it
  /// keeps page_ahead.
  static Stream Of(std::size_t n, const In* a, const In* b = nullptr, bool lightest = false) {
    if (n < kernels::chunk_elements) return {a, b, 0, false, page_run_bytes / sizeof(In), 0};
    if (!lightest && stream_policy_in_use() == stream_policy::lines_ahead) {
      return {a, b, n, true, lines_run_bytes / sizeof(In), lines_ahead_bytes / sizeof(In)};
    }
    return {a, b, n, false, page_run_bytes / sizeof(In), page_ahead_bytes / sizeof(In)};
  }
  /// The same inputs from element `from` on.
  Stream From(std::size_t from) const {
    return {a + from, b != nullptr ? b + from : nullptr, touchable > from ? touchable - from : 0, every_line, run, ahead};
  }
};

/// Touches the lines_run_bytes / 64 lines from p on: unrolled, or
/// (kLooped) by a loop, the barrier keeping GCC from unrolling it. On the
/// Xeon guest count_if over 2 GiB on two threads read 30.4-30.6 -> 34.0-34.5
/// GB/s with the loop, while in L2 a 512 KiB count took 1.4-1.5x the time:
/// count asks for it on a long stream only (looped_touches_from_bytes;
/// docs/PERF.md, "count_if's looped touches"). Why a loop reads memory
/// faster there than the same touches unrolled is not known (the guest has
/// no performance counters).
template <bool kLooped, class In>
HWY_INLINE void TouchEveryLine(const In* p) {
  if constexpr (kLooped) {
    for (std::size_t l = 0; l < lines_run_bytes / 64; ++l) {
      hwy::Prefetch(p + l * Stream<In>::kLine);
      asm volatile("" ::: "memory");  // the loop stays a loop
    }
  } else {
    [p]<std::size_t... l>(std::index_sequence<l...>) SWITCHYARD_INLINE_LAMBDA {
      (hwy::Prefetch(p + l * Stream<In>::kLine), ...);
    }(std::make_index_sequence<lines_run_bytes / 64>{});
  }
}

/// Where the run of turns from i ends: a run of elements on, or the last
/// whole step before `end`, whichever comes first (step, in elements,
/// divides a run: every step here is a power of two of at most 512 bytes).
/// First touches the inputs' lines `ahead` past i, where they are
/// touchable. A kernel's loop is
///
///   while (i + step <= end) {
///     for (const std::size_t stop = RunOfTurns(i, end, step, in); i < stop; i += step) ...
///   }
///
/// and its inner loop stays the plain loop it was (a first version that
/// handed each turn to a helper as a lambda made count in L2 15-20% slower).
/// kLooped: a run's lines are touched by a loop (TouchEveryLine).
template <bool kLooped = false, class In>
HWY_INLINE std::size_t RunOfTurns(std::size_t i, std::size_t end, std::size_t step, const Stream<In>& in) {
  const std::size_t first = i + in.ahead;
  if (in.every_line) {
    if (in.touchable >= first + in.run) {
      TouchEveryLine<kLooped>(in.a + first);
      if (in.b != nullptr) TouchEveryLine<kLooped>(in.b + first);
    }
  } else if (in.touchable > first) {
    hwy::Prefetch(in.a + first);
    if (in.b != nullptr) hwy::Prefetch(in.b + first);
  }
  return end - i >= in.run ? i + in.run : i + (end - i) / step * step;
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
