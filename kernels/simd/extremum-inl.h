// Per-target Highway kernels for min, max, argmin, argmax and minmax.
// The chunk is scanned in L1-sized blocks: a block's extreme value comes from
// plain vector Min/Max (full speed, no index bookkeeping), and only a block
// that improves on the best so far is searched again, in L1, for the first
// position of that value. A NaN anywhere ends the scan at the first NaN.
#if defined(SWITCHYARD_KERNELS_SIMD_EXTREMUM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_EXTREMUM_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_EXTREMUM_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_EXTREMUM_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <hwy/highway.h>

#include "kernels/common/alignment.hpp"
#include "kernels/common/partials.hpp"
#include "kernels/simd/fold-inl.h"
#include "kernels/simd/load-inl.h"
#include "kernels/simd/stream-inl.h"

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// 16 KiB: a block stays in L1 (32 KiB or more on every x86 core of the last
/// decade) for its second, searching pass.
template <class T>
inline constexpr std::size_t kBlockElements = 16384 / sizeof(T);

/// Where the block from b ends: kBlockElements on, the first block also
/// taking the elements before p's first cache-line boundary, so that every
/// later block starts on a line and its loop needs no scalar head or tail
/// (ScanBlock). When every block had one, minmax of a std::vector's buffer
/// (16 bytes past a line) took 1.04-1.07x the time of an aligned buffer's in
/// DRAM (docs/PERF.md, "Blocks from a line").
template <class T>
std::size_t BlockEnd(const T* p, std::size_t b, std::size_t n) {
  const std::size_t head = b == 0 ? kernels::elements_before_line(p) : 0;
  return b + std::min(kBlockElements<T> + head, n - b);
}

template <class T>
struct BlockResult {
  T min;
  T max;
  bool nan;
};

/// The first i in [0, n) with p[i] == value (value NaN: the first NaN).
/// Past the last whole vector, one more vector ends at n: it overlaps ones
/// already searched, which held no match, so its first match is the first.
template <class T>
std::size_t FindFirst(const T* HWY_RESTRICT p, std::size_t n, T value) {
  const hn::ScalableTag<T> d;
  const std::size_t N = hn::Lanes(d);
  const bool want_nan = is_nan(value);
  const auto v = hn::Set(d, value);
  auto first_at = [&](std::size_t at) -> intptr_t {
    const auto x = hn::LoadU(d, p + at);
    if constexpr (std::is_floating_point_v<T>) {
      return hn::FindFirstTrue(d, want_nan ? hn::IsNaN(x) : hn::Eq(x, v));
    } else {
      return hn::FindFirstTrue(d, hn::Eq(x, v));
    }
  };
  if (n < N) {
    for (std::size_t i = 0; i < n; ++i) {
      if (want_nan ? is_nan(p[i]) : p[i] == value) return i;
    }
    return n;
  }
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    if (const intptr_t k = first_at(i); k >= 0) return i + static_cast<std::size_t>(k);
  }
  if (i < n) {
    if (const intptr_t k = first_at(n - N); k >= 0) return n - N + static_cast<std::size_t>(k);
  }
  return n;
}

/// The least (kLo) and greatest (kHi) value of p[0, n) (n >= 1), and whether
/// any is NaN (the values are then meaningless). argmin and argmax ask for
/// one bound: the other's four operations per four vectors were a quarter of
/// the loop. Rows are loaded from p's first cache-line boundary; the
/// elements before it and after the last whole vector are read by vectors
/// that overlap others (a value met twice changes no min, max or NaN test,
/// and which of -0.0 and +0.0 is found first is decided later, by
/// position), so only a block shorter than a vector is joined element by
/// element: one by one, the up to 63 + 63 uint8 of a std::vector's buffer
/// cost a short call several times its vector work. Inlined into its
/// callers, and those vectors read after the rows: written otherwise, GCC 12
/// returned the result through the stack or kept an extra index in the row
/// loop (argmin of 16 KiB of doubles 74 -> 83 ns; docs/PERF.md, "Small calls
/// of every op"). Whether a NaN is there (kBySum): a sum, which is NaN when
/// an element is (and when +inf and -inf meet in a lane, or the sum
/// overflows both ways), so only a block whose sum is NaN is searched for
/// one, in L1; or a test of each vector. The sum's four adds a turn replace
/// the tests' eleven operations: argmin in L2 in 0.85x the time. minmax's
/// Min and Max compete with the adds for the add pipes, so it tests each
/// vector in cache (the sum cost 2-12% in L2) and sums in a whole chunk of
/// a long stream, where it is held by the instructions in flight, not the
/// pipes (a 64 MiB and a 2 GiB scan in 0.87-0.94x the time; docs/PERF.md,
/// "minmax's NaN test"). `in` is the chunk from p on (its loop touches
/// ahead into the next blocks). A turn is kTurn vectors (kWideTurn says which).
template <bool kLo, bool kHi, bool kBySum, std::size_t kTurn, class T>
HWY_INLINE BlockResult<T> ScanBlock(const T* HWY_RESTRICT p, std::size_t n, const Stream<T>& in) {
  static_assert(kTurn == 4 || kTurn == 8);
  const hn::ScalableTag<T> d;
  const std::size_t N = hn::Lanes(d);
  auto lo = hn::Set(d, p[0]);
  auto hi = lo;
  constexpr bool kTestSum = std::is_floating_point_v<T> && kBySum;
  constexpr bool kTestEach = std::is_floating_point_v<T> && !kBySum;
  auto nan = hn::Zero(d);  // kTestEach: lanes that saw a NaN; kTestSum: the sum
  auto join = [&](auto v0, auto v1, auto v2, auto v3) {
    if constexpr (kLo) lo = hn::Min(lo, hn::Min(hn::Min(v0, v1), hn::Min(v2, v3)));
    if constexpr (kHi) hi = hn::Max(hi, hn::Max(hn::Max(v0, v1), hn::Max(v2, v3)));
    if constexpr (kTestEach) {
      const auto n01 = hn::Or(hn::VecFromMask(d, hn::IsNaN(v0)), hn::VecFromMask(d, hn::IsNaN(v1)));
      const auto n23 = hn::Or(hn::VecFromMask(d, hn::IsNaN(v2)), hn::VecFromMask(d, hn::IsNaN(v3)));
      nan = hn::Or(nan, hn::Or(n01, n23));
    }
    if constexpr (kTestSum) nan = hn::Add(nan, hn::Add(hn::Add(v0, v1), hn::Add(v2, v3)));
  };
  const std::size_t head = std::min(n, kernels::elements_before_line(p));
  std::size_t i = head;
  auto join_four = [&](std::size_t j) {
    join(InRegister(hn::LoadU(d, p + j)), InRegister(hn::LoadU(d, p + j + N)), InRegister(hn::LoadU(d, p + j + 2 * N)),
         InRegister(hn::LoadU(d, p + j + 3 * N)));
  };
  while (i + kTurn * N <= n) {
    const std::size_t stop = RunOfTurns(i, n, kTurn * N, in);
    for (std::size_t j = i; j < stop; j += kTurn * N) {
      join_four(j);
      if constexpr (kTurn == 8) join_four(j + 4 * N);
    }
    i = stop;
  }
  if constexpr (kTurn == 8) {
    if (i + 4 * N <= n) {
      join_four(i);
      i += 4 * N;
    }
  }
  for (; i + N <= n; i += N) {
    const auto v = hn::LoadU(d, p + i);
    join(v, v, v, v);
  }
  const bool by_vectors = n >= N;
  if (by_vectors) {
    for (std::size_t j = 0; j < head; j += N) {
      const auto v = hn::LoadU(d, p + std::min(j, n - N));
      join(v, v, v, v);
    }
    if (i < n) {
      const auto v = hn::LoadU(d, p + n - N);
      join(v, v, v, v);
    }
  }
  bool any_nan = false;
  if constexpr (kTestEach) any_nan = !hn::AllFalse(d, hn::MaskFromVec(nan));
  if constexpr (kTestSum) {
    any_nan = !hn::AllFalse(d, hn::IsNaN(nan)) && FindFirst(p, n, std::numeric_limits<T>::quiet_NaN()) < n;
  }
  const auto min = [](auto a, auto b) { return hn::Min(a, b); };
  const auto max = [](auto a, auto b) { return hn::Max(a, b); };
  BlockResult<T> r{kLo ? FoldHalves(d, lo, min) : p[0], kHi ? FoldHalves(d, hi, max) : p[0], any_nan};
  if (!by_vectors) {
    for (std::size_t j = 0; j < n; ++j) {
      r.nan = r.nan || is_nan(p[j]);
      r.min = p[j] < r.min ? p[j] : r.min;
      r.max = p[j] > r.max ? p[j] : r.max;
    }
  }
  return r;
}

/// Vectors a turn of ScanBlock reads: 8 where every line of a long stream
/// is touched (Intel), else 4. On the Xeon guest argmin over 256 MiB on one
/// thread read 14.3-15.2 -> 17.7-18.2 GB/s with turns of 8, minmax
/// 13.1-14.4 -> 16.7, while in cache (16 KiB to 512 KiB, a probe of these
/// kernels) turns of 8 took argmin 10-15% longer (docs/PERF.md, "Turns of
/// eight on Intel"). A turn of 8 is two of 4, joined in the same order: the
/// loop is unrolled, no operation moves.
inline constexpr std::size_t kWideTurn = 8;
inline constexpr std::size_t kNarrowTurn = 4;

template <bool kMax, std::size_t kTurn, class T>
HWY_INLINE extremum<T> ArgScan(const T* HWY_RESTRICT p, std::size_t n, const Stream<T>& in) {
  extremum<T> best{p[0], 0};
  for (std::size_t b = 0, end; b < n; b = end) {
    end = BlockEnd(p, b, n);
    const std::size_t len = end - b;
    const BlockResult<T> r = ScanBlock<!kMax, kMax, true, kTurn>(p + b, len, in.From(b));
    if constexpr (std::is_floating_point_v<T>) {
      if (r.nan) {
        const std::size_t k = FindFirst(p + b, len, std::numeric_limits<T>::quiet_NaN());
        return {p[b + k], b + k};
      }
    }
    const T m = kMax ? r.max : r.min;
    if (kMax ? m > best.value : m < best.value) {
      const std::size_t k = b + FindFirst(p + b, len, m);
      best = {p[k], k};  // the element itself: of -0.0 and +0.0, the one that comes first
    }
  }
  return best;
}

/// The wide turns' scan, out of line: inlined beside the narrow one, it
/// made GCC 12's code for a 64 KiB argmin (narrow turns) take 1.1x the time.
template <bool kMax, class T>
HWY_NOINLINE extremum<T> ArgScanWide(const T* HWY_RESTRICT p, std::size_t n, const Stream<T>& in) {
  return ArgScan<kMax, kWideTurn>(p, n, in);
}

template <bool kMax, class T>
extremum<T> ArgExtremum(const T* HWY_RESTRICT p, std::size_t n) {
  const auto in = Stream<T>::Of(n, p);
  return in.every_line ? ArgScanWide<kMax>(p, n, in) : ArgScan<kMax, kNarrowTurn>(p, n, in);
}

/// minmax's block of a long stream, out of line: inlined into MinMaxScan,
/// GCC 12's code for it read 2 GiB on two threads at 0.81-0.87 of the
/// hand-written loop's speed against 0.87-0.96 apart (eight alternating
/// pairs; docs/PERF.md, "Small calls of every op"). A cache-sized call
/// keeps it inlined. The turn is chosen here, once a block.
template <class T>
HWY_NOINLINE BlockResult<T> MinMaxStreamBlock(const T* HWY_RESTRICT p, std::size_t n, const Stream<T>& in) {
  return in.every_line ? ScanBlock<true, true, true, kWideTurn>(p, n, in)
                       : ScanBlock<true, true, true, kNarrowTurn>(p, n, in);
}

template <bool kBySum, class T>
HWY_INLINE bounds<T> MinMaxScan(const T* HWY_RESTRICT p, std::size_t n, const Stream<T>& in) {
  bounds<T> best{p[0], p[0]};
  for (std::size_t b = 0, end; b < n; b = end) {
    end = BlockEnd(p, b, n);
    const std::size_t len = end - b;
    const BlockResult<T> r = kBySum ? MinMaxStreamBlock(p + b, len, in.From(b))
                                     : ScanBlock<true, true, false, kNarrowTurn>(p + b, len, in.From(b));
    if constexpr (std::is_floating_point_v<T>) {
      if (r.nan) {
        const T first = p[b + FindFirst(p + b, len, std::numeric_limits<T>::quiet_NaN())];
        return {first, first};
      }
    }
    if (r.min < best.min) best.min = p[b + FindFirst(p + b, len, r.min)];
    if (r.max > best.max) best.max = p[b + FindFirst(p + b, len, r.max)];
  }
  return best;
}

/// A long stream's chunk asks a sum for NaNs; anything shorter tests each
/// vector (ScanBlock says why). Chosen once a call, each loop its own.
template <class T>
bounds<T> MinMaxOf(const T* HWY_RESTRICT p, std::size_t n) {
  const auto in = Stream<T>::Of(n, p);
  return in.touchable > 0 ? MinMaxScan<true>(p, n, in) : MinMaxScan<false>(p, n, in);
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
