// Per-target Highway kernel for count_if with a built-in comparison.
#if defined(SWITCHYARD_KERNELS_SIMD_COUNT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_COUNT_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_COUNT_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_COUNT_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <limits>
#include <type_traits>

#include <hwy/highway.h>
#include <switchyard/predicates.hpp>

#include "kernels/common/alignment.hpp"
#include "kernels/simd/stream-inl.h"

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// Counts in integer lanes: a true comparison is an all-ones lane, -1, so
/// subtracting the mask adds one. Three vector operations per vector, where
/// CountTrue's mask extraction and popcount cost five with two scalar.
/// Lanes are flushed before they could overflow. Rows are loaded from p's
/// first cache-line boundary; the elements before it and after the last
/// whole vector are counted from vectors inside [0, n) with the lanes
/// already counted masked off. One by one, those elements (up to 255 of
/// uint8 on AVX-512) cost a small call several times its vector work: 256
/// bytes of a std::vector's buffer in 210 ns against 15 (docs/PERF.md,
/// "Small calls of every op"). `stream`: how long the input this call is
/// a chunk of runs on from p (n for a call of its own); on a long stream
/// the Intel policy's touches run as a loop (stream-inl.h); into L1 still:
/// into L2 they read 2 GiB on two threads 10% slower (docs/PERF.md,
/// "Touches into L2").
template <class T, class Cmp>
std::size_t CountWith(const T* HWY_RESTRICT p, std::size_t n, std::size_t stream, compare<T> pred, Cmp cmp) {
  const hn::ScalableTag<T> d;
  const hn::RebindToSigned<decltype(d)> di;
  using L = hn::TFromD<decltype(di)>;
  const std::size_t N = hn::Lanes(d);
  if (n < N) {
    std::size_t total = 0;
    for (std::size_t j = 0; j < n; ++j) total += pred(p[j]) ? 1 : 0;
    return total;
  }
  const auto value = hn::Set(d, pred.value);
  // Elements [lo, hi) (hi - lo <= N) from one vector that stays inside [0, n).
  auto count_range = [&](std::size_t lo, std::size_t hi) {
    const std::size_t at = std::min(lo, n - N);
    const auto lanes = hn::AndNot(hn::FirstN(d, lo - at), hn::FirstN(d, hi - at));
    return hn::CountTrue(d, hn::And(lanes, cmp(hn::LoadU(d, p + at), value)));
  };
  // Rows of 4 vectors before the four counters' sum, read unsigned, could
  // wrap (uint8 lanes: 63).
  const std::size_t rows_per_flush = std::size_t{std::numeric_limits<std::make_unsigned_t<L>>::max()} / 4;
  const std::size_t head = std::min(n, kernels::elements_before_line(p));
  std::size_t total = 0;
  for (std::size_t j = 0; j < head; j += N) total += count_range(j, std::min(j + N, head));
  std::size_t i = head;
  WithStreamLength<T>(n, stream, [&]<bool kLooped>(std::bool_constant<kLooped>) {
    const auto in = Stream<T>::Of(n, p);
    while (i + 4 * N <= n) {
      auto k0 = hn::Zero(di);
      auto k1 = hn::Zero(di);
      auto k2 = hn::Zero(di);
      auto k3 = hn::Zero(di);
      auto count = [&](auto& k, std::size_t at) {
        k = hn::Sub(k, hn::BitCast(di, hn::VecFromMask(d, cmp(hn::LoadU(d, p + at), value))));
      };
      const std::size_t flush = i + std::min(rows_per_flush, (n - i) / (4 * N)) * 4 * N;
      while (i < flush) {
        for (const std::size_t stop = RunOfTurns<kLooped>(i, flush, 4 * N, in); i < stop; i += 4 * N) {
          count(k0, i);
          count(k1, i + N);
          count(k2, i + 2 * N);
          count(k3, i + 3 * N);
        }
      }
      alignas(64) L lanes[hn::MaxLanes(di)];
      hn::Store(hn::Add(hn::Add(k0, k1), hn::Add(k2, k3)), di, lanes);
      for (std::size_t j = 0; j < N; ++j) total += static_cast<std::size_t>(static_cast<std::make_unsigned_t<L>>(lanes[j]));
    }
  });
  for (; i + N <= n; i += N) total += hn::CountTrue(d, cmp(hn::LoadU(d, p + i), value));
  if (i < n) total += count_range(i, n);
  return total;
}

template <class T>
std::size_t CountOf(const T* p, std::size_t n, compare<T> pred, std::size_t stream) {
  switch (pred.op) {
    case comparison::less: return CountWith(p, n, stream, pred, [](auto a, auto b) { return hn::Lt(a, b); });
    case comparison::less_equal:
      if constexpr (std::is_floating_point_v<T>) {
        return CountWith(p, n, stream, pred, [](auto a, auto b) { return hn::Le(a, b); });
      } else {  // Highway 1.0 has no integer <=; integers have no NaN, so !(a > b)
        return CountWith(p, n, stream, pred, [](auto a, auto b) { return hn::Not(hn::Gt(a, b)); });
      }
    case comparison::equal: return CountWith(p, n, stream, pred, [](auto a, auto b) { return hn::Eq(a, b); });
    case comparison::not_equal:  // x86's ordered != is false for NaN; IEEE says true
      return CountWith(p, n, stream, pred, [](auto a, auto b) { return hn::Not(hn::Eq(a, b)); });
    case comparison::greater_equal:
      if constexpr (std::is_floating_point_v<T>) {
        return CountWith(p, n, stream, pred, [](auto a, auto b) { return hn::Ge(a, b); });
      } else {
        return CountWith(p, n, stream, pred, [](auto a, auto b) { return hn::Not(hn::Lt(a, b)); });
      }
    case comparison::greater: return CountWith(p, n, stream, pred, [](auto a, auto b) { return hn::Gt(a, b); });
  }
  return 0;
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
