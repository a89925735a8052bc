// How every streaming kernel walks its input: a run of turns at a time,
// each run of a whole chunk begun by touching lines ahead, as this CPU's
// stream policy says (kernels/common/cpu_tuning.hpp: what is touched, how
// far ahead, and why it differs between Intel and AMD cores).
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
#include <type_traits>
#include <utility>

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "kernels/common/chunking.hpp"
#include "kernels/common/cpu_tuning.hpp"
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
///
/// kToL2: the chunk is part of a long stream (long_stream_bytes or more
/// from it on) read under lines_ahead, and its touches bring lines into L2
/// (prefetcht1), not L1; the floating-point sums ask for it. On the Xeon
/// guest a std::vector's memory (4 KiB pages: transparent huge pages there
/// only on request) read the default float sum over 256 MiB on one thread
/// at 12.3-12.5 GB/s with touches into L1 and 13.7-13.9 into L2 (two
/// threads 24.5-25.0 -> 26.4-26.8), sum_of_squares 13.1 -> 14.1-14.4; on
/// huge pages dot 18.0 -> 18.7 and the default sum 19.1 -> 18.7. In L2 the
/// same touches leave the loads to miss L1 (argmin of 256 KiB-1 MiB took
/// 1.35x the time, count 1.6-1.8x), so a cache-sized call keeps touching
/// into L1, and count and the extrema do throughout (count's looped touches
/// into L2 read 2 GiB 10% slower on huge pages). A type, not a flag: a
/// branch on a flag at each run made the sums in L2 8-10% slower
/// (docs/PERF.md, "Touches into L2").
template <class In, bool kToL2 = false>
struct Stream {
  static constexpr std::size_t kLine = 64 / sizeof(In);

  const In* a;
  const In* b;
  std::size_t touchable;
  bool every_line;    // lines_ahead: each line of a run, else one line
  std::size_t run;    // elements
  std::size_t ahead;  // elements

  /// `lightest`: a loop of one load and one add per vector (the same-type
  /// fast sum), which streams at the read bandwidth with a touch per page
  /// and lost 3-9% on Intel with every line touched; it touches a line per
  /// page under lines_ahead too.
  ///
  /// The fields are values chosen by the policy and the object is made
  /// once, at the end: returned whole from several places, GCC 12 kept it
  /// on the stack and copied the input's pointers through a vector
  /// register, a stalled reload at every call (a 1 KiB `fast` sum on the
  /// Zen 4 guest took 36-38 ns instead of 18-27; docs/PERF.md, "Zen 4's
  /// prefetchers").
  static Stream Of(std::size_t n, const In* a, const In* b = nullptr, bool lightest = false) {
    std::size_t touchable = 0, run = page_run_bytes / sizeof(In), ahead = 0;  // none: RunOfTurns only ends runs
    bool every_line = false;
    if (n >= kernels::chunk_elements) {
      const cpu_tuning tuning = cpu_tuning_in_use();
      if (tuning.stream == stream_policy::lines_ahead && !lightest) {
        touchable = n;
        every_line = true;
        run = lines_run_bytes / sizeof(In);
        ahead = tuning.lines_ahead_bytes / sizeof(In);
      } else if (tuning.stream != stream_policy::page_ahead_for_pairs || b != nullptr) {
        touchable = n;
        ahead = page_ahead_bytes / sizeof(In);
      }
    }
    return {a, b, touchable, every_line, run, ahead};
  }
  /// The same inputs from element `from` on.
  Stream From(std::size_t from) const {
    return {a + from, b != nullptr ? b + from : nullptr, touchable > from ? touchable - from : 0, every_line, run, ahead};
  }
};

/// Touches the lines_run_bytes / 64 lines from p on, into L1 or (kToL2)
/// into L2: unrolled, or (kLooped) by a loop, the barrier keeping GCC from
/// unrolling it. On the Xeon guest count_if over 2 GiB on two threads read
/// 30.4-30.6 -> 34.0-34.5 GB/s with the loop, while in L2 a 512 KiB count
/// took 1.4-1.5x the time: count asks for it on a long stream only
/// (long_stream_bytes; docs/PERF.md, "count_if's looped touches"). Why a
/// loop reads memory faster there than the same touches unrolled is not
/// known (the guest has no performance counters).
template <bool kLooped, bool kToL2, class In>
HWY_INLINE void TouchEveryLine(const In* p) {
  auto touch = [](const In* line) SWITCHYARD_INLINE_LAMBDA {
    if constexpr (kToL2) {
      __builtin_prefetch(line, 0, 2);  // prefetcht1
    } else {
      hwy::Prefetch(line);
    }
  };
  if constexpr (kLooped) {
    for (std::size_t l = 0; l < lines_run_bytes / 64; ++l) {
      touch(p + l * Stream<In>::kLine);
      asm volatile("" ::: "memory");  // the loop stays a loop
    }
  } else {
    [p, touch]<std::size_t... l>(std::index_sequence<l...>) SWITCHYARD_INLINE_LAMBDA {
      (touch(p + l * Stream<In>::kLine), ...);
    }(std::make_index_sequence<lines_run_bytes / 64>{});
  }
}

/// Whether a chunk of n elements, `stream` of them from its start on, is a
/// whole chunk of a long stream (long_stream_bytes or more) read under
/// lines_ahead: where the sums touch into L2 and count loops its touches.
template <class In>
HWY_INLINE bool IsLongStream(std::size_t n, std::size_t stream) {
  return n >= kernels::chunk_elements && stream >= long_stream_bytes / sizeof(In) &&
         cpu_tuning_in_use().stream == stream_policy::lines_ahead;
}

/// f(std::bool_constant<IsLongStream<In>(n, stream)>): a kernel's loop
/// compiled for both, the chunk choosing.
template <class In, class F>
HWY_INLINE decltype(auto) WithStreamLength(std::size_t n, std::size_t stream, F&& f) {
  if (IsLongStream<In>(n, stream)) return f(std::true_type{});
  return f(std::false_type{});
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
template <bool kLooped = false, class In, bool kToL2>
HWY_INLINE std::size_t RunOfTurns(std::size_t i, std::size_t end, std::size_t step, const Stream<In, kToL2>& in) {
  const std::size_t first = i + in.ahead;
  if (in.every_line) {
    if (in.touchable >= first + in.run) {
      TouchEveryLine<kLooped, kToL2>(in.a + first);
      if (in.b != nullptr) TouchEveryLine<kLooped, kToL2>(in.b + first);
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
