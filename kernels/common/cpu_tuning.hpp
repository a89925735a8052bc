// What the kernels tune by the kind of CPU they run on: how the streaming
// kernels read ahead of a long input, how far, on which pipes the sums'
// exact adds run, and how wide a long `fast` sum's loads are. None of it
// changes what is added or in what order, so the bits are the same under
// every tuning (tests/core/determinism_test.cpp,
// EveryCpusTuningGivesTheSameBits, and tests/core/cpu_tuning_test.cpp).
// reduce_bench's `tuning/vs_*` cases time this CPU's tuning against each
// field set otherwise, where they run (bench/tuning_check.hpp): a new kind
// of core shows there whether it wants a tuning of its own.
//
// A kernel walks its input a run of turns at a time and, in a whole chunk,
// begins each run by touching lines ahead (kernels/simd/stream-inl.h). Three
// stream policies, each measured best on its kind of core and costly on the
// others (docs/PERF.md, "A page ahead", "Every line ahead on Intel" and "Zen
// 4's prefetchers"):
//
// - page_ahead (AMD's Zen 2, Zen 3 and Zen 5, and every CPU not named
//   here): a line 16 KiB ahead once per 4 KiB page, which starts the
//   page's translation and the prefetcher early. On the Zen 5 guest a 2 GiB
//   sum gained 10-20%; a touch of every line there (as many touches per
//   byte as lines_ahead's) took twice the time.
// - lines_ahead (Intel, and AMD's Zen 1 and Zen+: family 23 below model
//   48): every line 2 KiB ahead (1 KiB on Zen 1: cpu_tuning below),
//   touched 512 bytes at a time. One Intel core keeps too few misses in
//   flight to stream from memory at the rate of its prefetchers alone, and
//   the loops with more micro-ops per byte stall most: on the Xeon guest
//   the default float sum (widened to double: three times fast's micro-ops
//   per byte) over 2 GiB went from 12.2 to 18.2 GB/s on one thread and from 24.0 to 35.6 on two,
//   where a touch per page left it at 1.37x fast's time; over 256 MiB dot
//   and sum_of_squares took 0.58x and 0.67x the time, count 0.9x.
//   The same-type `fast` sum (one load and one add a vector) streams at
//   the read bandwidth with a touch per page, and lost 3-9% with every
//   line touched: it touches a line per page under lines_ahead too
//   (stream-inl.h, Stream).
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
//   lines_ahead (docs/PERF.md, "Zen 1"), and 0.99-1.03x and 0.98-1.02x
//   with its adds on the add pipes and its lines 1 KiB ahead (add_form
//   below). Zen+ (the same core, a smaller process) was not measured and
//   goes with it; Zen 2 (family 23 from model 48) was not either and keeps
//   page_ahead.
//
// - page_ahead_for_pairs (AMD's Zen 4: family 25, models 16-31, 96-127 and
//   160-175): a kernel reading one input touches nothing; one reading two
//   (dot) touches a line per page of each, as page_ahead does. On the Zen 4
//   guest (model 17) every touch ahead slowed one stream: a hand-written
//   AVX-512 float sum over 1 GiB on huge pages read 26.1 GB/s on one thread
//   with no touch and 18.7 with a line 16 KiB ahead once per page (15.6-20.9
//   at 4-64 KiB ahead, 17.3 as prefetchnta, 24.9 as prefetcht1). In the
//   library, over 1 and 2 GiB, one thread: `fast` 1.14-1.30x the speed
//   without touches, the default 1.03-1.14x, argmin, minmax and count
//   0.99-1.11x; two threads `fast` 1.09-1.13x, the rest 0.98-1.02x; dot
//   without touches 0.89-0.97x, so it keeps them (docs/PERF.md, "Zen 4's
//   prefetchers"). Zen 3 (family 25's other models) is not measured
//   without touches and keeps page_ahead.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::kernels {

enum class stream_policy { page_ahead, lines_ahead, page_ahead_for_pairs };

/// page_ahead: a run is a page, and one line is touched 16 KiB past its
/// start (8, 16 and 32 KiB measured alike on the Zen 5 guest).
inline constexpr std::size_t page_run_bytes = 4096;
inline constexpr std::size_t page_ahead_bytes = 16384;
/// lines_ahead: a run is 512 bytes, and its 8 lines are touched
/// cpu_tuning::lines_ahead_bytes on, unrolled: as a loop over the lines (five
/// instructions each) a 512 KiB `fast` sum in L2 took 1.8x its time. Runs of
/// 1 KiB (16 touches) left `fast` at 14.1 GB/s in DRAM, and the default no
/// faster.
inline constexpr std::size_t lines_run_bytes = 512;
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

/// How the sums run the adds that may be written as multiply-adds by 1 or
/// -1: the same rounding, so the same bits either way (a product by one is
/// exact); what differs is the pipes they run on. Those adds are the
/// widened float sum's terms (the default accuracy's: floats added in double
/// lanes, kernels/simd/sum-inl.h, AddTerm), each exact in double, and three
/// of the seven adds of the compensated double step (CompensatedAdd).
/// - fused: as multiply-adds, on the FMA pipes, leaving the add pipes to the
///   widening conversions or to the step's other adds. On Zen 5 the default
///   float sum in L2 went from 2.2x to 1.9-2.0x fast's time, and on its AVX2
///   path from 3.4x to 1.9x (docs/PERF.md, "The widening's adds on the FMA
///   pipes"); on Zen 4 the compensated double sum of 64 KiB from 3.0x to
///   2.0x (AVX-512) and 3.5x to 2.3x (AVX2) ("The compensated step on both
///   pipes").
/// - plain: as adds, and the compensated step as Neumaier's compare and
///   blend. A Zen 1 core runs the multiply-add form slower (12.5 against
///   17.3 GB/s in L2 in a probe), and its default float sum over 2 GiB on
///   one thread took 1.09-1.17x fast's time fused and 0.99-1.03x plain with
///   its lines 1 KiB ahead (docs/PERF.md, "Zen 1's adds"); its compensated
///   step as TwoSum, as adds or partly fused, took within 5% of Neumaier's
///   time ("A pairwise leaf's registers"), so it keeps Neumaier's. Compiled for
///   Highway's AVX2 target, the one Zen 1 runs, and the AVX-512 ones, where
///   the tuning check (bench/tuning_check.hpp) measures it against fused;
///   the older targets add fused.
enum class add_form { fused, plain };

/// Everything the kernels tune by CPU, chosen once from cpu_identity.
struct cpu_tuning {
  stream_policy stream = stream_policy::page_ahead;
  /// lines_ahead: how far past a run's start its lines are touched. Intel's
  /// 2 KiB was measured against 512 bytes, 1 and 4 KiB on the Xeon guest
  /// ("Every line ahead on Intel"); on Zen 1 with the plain adds 1 KiB read
  /// 2 GiB on two threads at 0.98-1.02x fast's time against 1.05-1.14x at
  /// 2 KiB ("Zen 1's adds").
  std::size_t lines_ahead_bytes = 2048;
  add_form adds = add_form::fused;
  /// A same-type `fast` float or double sum's chunk of a long stream
  /// (long_stream_bytes or more from it on) runs the AVX2 kernel where
  /// the CPU has a wider one: the same bits (sum_layout.hpp's lanes do not
  /// depend on the vector width), and on Zen 4, which splits each 512-bit
  /// load in two, 1.07-1.16x the speed over 1 GiB on one thread and
  /// 1.07-1.11x on two (the AVX-512 kernel in L3, 4-16 MiB, as fast as
  /// AVX2's; the other ops as fast or, dot, slower on AVX2: docs/PERF.md,
  /// "Zen 4's prefetchers").
  bool fast_streams_on_avx2 = false;
  /// The float sums that widen to double lanes (the default accuracy's sum,
  /// dot and sum_of_squares of floats, and norm2 of floats in every mode)
  /// run the AVX2 kernel where the CPU has a wider one, on a chunk of a
  /// short stream (under long_stream_bytes from it on): the same bits. Zen 4
  /// converts 8 floats to a 512-bit vector of doubles at a fraction of the
  /// rate it converts 4 to a 256-bit one: in L2 the default float sum took
  /// 0.60x the time on AVX2 (1.66x the speed; dot 1.50x, sum_of_squares
  /// and norm2 1.65x), from 2 KiB on 1.1x or more and at 1 KiB alike; from
  /// memory the AVX2 loop (twice the micro-ops per byte) was 0.86-1.0x the
  /// speed, and from 32 MiB of reads on slower, so a long stream keeps the
  /// AVX-512 kernel (docs/PERF.md, "The widening on Zen 4").
  bool widening_on_avx2 = false;

  friend bool operator==(const cpu_tuning&, const cpu_tuning&) = default;
};

/// The tuning measured best on a kind of CPU (cpu_tuning{} where none was).
cpu_tuning cpu_tuning_for(const cpu_identity& cpu) noexcept;

/// "page_ahead", "lines_ahead", "page_ahead_for_pairs".
std::string_view to_string(stream_policy p) noexcept;
/// The tuning in words, its fields as name=value ("stream=lines_ahead
/// lines_ahead=2KiB adds=fused fast_streams_on_avx2=off widening_on_avx2=off";
/// lines_ahead only under lines_ahead).
std::string to_string(const cpu_tuning& t);

namespace tuning_word {

/// A tuning packed into one word, bit 0 set (so never 0).
constexpr std::uint64_t packed(const cpu_tuning& t) noexcept {
  return 1 | static_cast<std::uint64_t>(t.stream) << 1 | static_cast<std::uint64_t>(t.adds) << 3 |
         static_cast<std::uint64_t>(t.fast_streams_on_avx2) << 4 | static_cast<std::uint64_t>(t.widening_on_avx2) << 5 |
         static_cast<std::uint64_t>(t.lines_ahead_bytes) << 32;
}

constexpr cpu_tuning unpacked(std::uint64_t word) noexcept {
  return {.stream = static_cast<stream_policy>(word >> 1 & 3),
          .lines_ahead_bytes = static_cast<std::size_t>(word >> 32),
          .adds = static_cast<add_form>(word >> 3 & 1),
          .fast_streams_on_avx2 = (word >> 4 & 1) != 0,
          .widening_on_avx2 = (word >> 5 & 1) != 0};
}

/// The tuning in use, packed; 0 until first read. Atomic because the thread
/// pool's workers read it in their calls after a test has set it on its own
/// thread.
extern std::atomic<std::uint64_t> in_use;

/// Stores this CPU's tuning, packed, unless a test's is there, and returns
/// the word in use.
std::uint64_t first() noexcept;

}  // namespace tuning_word

/// The tuning this process's kernels use: cpu_tuning_for(this_cpu()),
/// chosen once, or the one a test set. Inline, a load and the fields'
/// shifts: a default float sum's every call reads it (reduce_kernels.cpp),
/// where a call into cpu_tuning.cpp returning the whole struct cost a 1 KiB
/// sum about 3 ns on the Zen 4 guest.
inline cpu_tuning cpu_tuning_in_use() noexcept {
  std::uint64_t word = tuning_word::in_use.load(std::memory_order_relaxed);
  if (word == 0) [[unlikely]] word = tuning_word::first();
  return tuning_word::unpacked(word);
}

/// Tests only (the determinism suite runs every CPU's tuning on one
/// machine): makes every kernel call from now on use `tuning`; nullopt goes
/// back to the CPU's own. lines_ahead_bytes is a multiple of 64 below 2^32.
/// Not while a call runs on another thread.
void set_cpu_tuning_for_test(std::optional<cpu_tuning> tuning) noexcept;

}  // namespace switchyard::kernels
