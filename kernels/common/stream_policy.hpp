// How the streaming kernels read ahead of a long input: the one tuning of
// the kernels that differs between machines. It changes which lines are
// asked for early (and how the extrema's and count's loops are unrolled),
// never what is added or in what order, so the bits are the same under
// every policy (tests/core/determinism_test.cpp,
// EveryStreamPolicyGivesTheSameBits, and tests/core/stream_policy_test.cpp).
//
// A kernel walks its input a run of turns at a time and, in a whole chunk,
// begins each run by touching lines ahead (kernels/simd/stream-inl.h). Two
// policies, each measured best on its kind of core and costly on the other
// (docs/PERF.md, "A page ahead" and "Every line ahead on Intel"):
//
// - page_ahead (AMD from Zen 2 on, and every CPU not named here): a line
//   16 KiB ahead once per 4 KiB page, which starts the page's translation
//   and the prefetcher early. On the Zen 5 guest a 2 GiB sum gained 10-20%;
//   a touch of every line there (as many touches per byte as lines_ahead's)
//   took twice the time.
// - lines_ahead (Intel, and AMD's Zen 1 and Zen+: family 23 below model
//   48): every line 2 KiB ahead, touched 512 bytes at a time. One Intel
//   core keeps too few misses in flight to stream from memory at the rate
//   of its prefetchers alone, and the loops with more
//   micro-ops per byte stall most: on the Xeon guest the default float sum
//   (widened to double: three times fast's micro-ops per byte) over 2 GiB
//   went from 12.2 to 18.2 GB/s on one thread and from 24.0 to 35.6 on two,
//   where a touch per page left it at 1.37x fast's time; over 256 MiB dot
//   and sum_of_squares took 0.58x and 0.67x the time, count 0.9x.
//   The same-type `fast` sum (one load and one add a vector) streams at
//   the read bandwidth with a touch per page, and lost 3-9% with every
//   line touched: it keeps page_ahead on every CPU (stream-inl.h, Stream).
//   Under this policy argmin, argmax and minmax also read turns of 8
//   vectors, not 4 (kernels/simd/extremum-inl.h, kWideTurn): over 256 MiB
//   on one Xeon thread 1.2x the speed; count_if over an input of
//   long_stream_bytes or more touches its lines with a loop
//   (stream-inl.h, TouchEveryLine): over 2 GiB on two threads 1.12x; and
//   the float sums touch a long stream's lines into L2 (Stream's kToL2):
//   over a std::vector's 4 KiB pages the default float sum 1.1x.
//   A Zen 1 core is held back the same way: on the Zen 1 guest the default
//   float sum over 2 GiB took 1.42-1.44x fast's time on one thread and
//   1.33-1.35x on two under page_ahead, 1.13-1.16x and 1.02-1.03x under
//   lines_ahead (docs/PERF.md, "Zen 1"). Zen+ (the same core, a smaller
//   process) was not measured and goes with it; Zen 2 (family 23 from model
//   48) was not either and keeps page_ahead.
#pragma once

#include <cstddef>
#include <optional>

namespace switchyard::kernels {

enum class stream_policy { page_ahead, lines_ahead };

/// page_ahead: a run is a page, and one line is touched 16 KiB past its
/// start (8, 16 and 32 KiB measured alike on the Zen 5 guest).
inline constexpr std::size_t page_run_bytes = 4096;
inline constexpr std::size_t page_ahead_bytes = 16384;
/// lines_ahead: a run is 512 bytes, and its 8 lines are touched 2 KiB on,
/// unrolled: as a loop over the lines (five instructions each) a 512 KiB
/// `fast` sum in L2 took 1.8x its time. Runs of 1 KiB (16 touches) left
/// `fast` at 14.1 GB/s in DRAM, and the default no faster.
inline constexpr std::size_t lines_run_bytes = 512;
inline constexpr std::size_t lines_ahead_bytes = 2048;
/// lines_ahead, a chunk of a stream this long or longer (from the chunk on),
/// past L2: the sums' touches bring lines into L2, not L1 (stream-inl.h,
/// Stream's kToL2), and count_if's run as a loop, not unrolled
/// (RunOfTurns). In L2 both cost more than they bring (a 512 KiB count took
/// 1.4-1.5x the time with the loop; argmin and count of 256 KiB-1 MiB
/// 1.35x and 1.6-1.8x with touches into L2).
inline constexpr std::size_t long_stream_bytes = std::size_t{4} << 20;

/// What a policy is chosen by: the x86 vendor, and the family and model as
/// /proc/cpuinfo shows them (cpuid leaf 1 with its extended fields added).
struct cpu_identity {
  enum class maker { intel, amd, other } vendor = maker::other;
  unsigned family = 0;
  unsigned model = 0;
};

/// This CPU's identity (vendor other, family and model 0 off x86).
cpu_identity this_cpu() noexcept;

/// The policy measured best on a kind of CPU (page_ahead where none was).
stream_policy stream_policy_for(const cpu_identity& cpu) noexcept;

/// The policy this process's kernels use: stream_policy_for(this_cpu()),
/// chosen once, or the one a test set.
stream_policy stream_policy_in_use() noexcept;

/// Tests only (the determinism suite runs both policies on one machine):
/// makes every kernel call from now on use `policy`; nullopt goes back to
/// the CPU's own. Not while a call runs on another thread.
void set_stream_policy_for_test(std::optional<stream_policy> policy) noexcept;

}  // namespace switchyard::kernels
