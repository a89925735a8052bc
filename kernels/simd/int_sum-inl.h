// Per-target Highway kernels for integer sums and dots: 64-bit lanes that
// wrap, so their order is free. Compiled once per target by
// reduce_kernels.cpp through hwy/foreach_target.h (via sum-inl.h).
#if defined(SWITCHYARD_KERNELS_SIMD_INT_SUM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_INT_SUM_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_INT_SUM_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_INT_SUM_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <hwy/highway.h>

#include "kernels/common/alignment.hpp"
#include "kernels/simd/load-inl.h"
#include "kernels/simd/stream-inl.h"

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// The wrapping sum of a vector's 64-bit lanes. Not SumOfLanes: on AVX-512 it
/// adds in signed arithmetic, whose overflow is undefined.
template <class D>
HWY_INLINE std::uint64_t WrappingLaneSum(D d, hn::Vec<D> v) {
  alignas(64) hn::TFromD<D> lanes[hn::MaxLanes(d)];
  hn::Store(v, d, lanes);
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < hn::Lanes(d); ++k) total += static_cast<std::uint64_t>(lanes[k]);
  return total;
}

/// Integer sums wrap, so their order is free: vectors are loaded from the
/// first cache-line boundary and the elements before it added one by one.
template <class T>
std::int64_t IntSum(const T* HWY_RESTRICT x, std::size_t n) {
  const std::size_t head = std::min(n, kernels::elements_before_line(x));
  std::uint64_t total = 0;
  for (std::size_t j = 0; j < head; ++j) total += static_cast<std::uint64_t>(x[j]);
  std::size_t i = head;
  const auto in = Stream<T>::Of(n, x);
  if constexpr (std::is_same_v<T, std::uint8_t>) {
    const hn::ScalableTag<std::uint8_t> d8;
    const hn::Repartition<std::uint64_t, decltype(d8)> d64;
    const std::size_t N = hn::Lanes(d8);
    auto acc0 = hn::Zero(d64);
    auto acc1 = hn::Zero(d64);
    while (i + 2 * N <= n) {
      for (const std::size_t stop = RunOfTurns(i, n, 2 * N, in); i < stop; i += 2 * N) {
        acc0 = hn::Add(acc0, hn::SumsOf8(hn::LoadU(d8, x + i)));
        acc1 = hn::Add(acc1, hn::SumsOf8(hn::LoadU(d8, x + i + N)));
      }
    }
    total += WrappingLaneSum(d64, hn::Add(acc0, acc1));
  } else {
    const hn::ScalableTag<std::int64_t> d64;
    const std::size_t N = hn::Lanes(d64);
    auto acc0 = hn::Zero(d64);
    auto acc1 = hn::Zero(d64);
    while (i + 2 * N <= n) {
      for (const std::size_t stop = RunOfTurns(i, n, 2 * N, in); i < stop; i += 2 * N) {
        acc0 = hn::Add(acc0, LoadAs(d64, x + i));
        acc1 = hn::Add(acc1, LoadAs(d64, x + i + N));
      }
    }
    total += WrappingLaneSum(d64, hn::Add(acc0, acc1));
  }
  for (; i < n; ++i) total += static_cast<std::uint64_t>(x[i]);
  return static_cast<std::int64_t>(total);
}

/// Products of int32 lanes as int64: even lanes by MulEven, odd lanes moved
/// down a 64-bit half first.
template <class D32>
HWY_INLINE auto WideProducts(D32 d32, hn::Vec<D32> a, hn::Vec<D32> b) {
  const hn::Repartition<std::uint64_t, D32> du64;
  const auto odd_a = hn::BitCast(d32, hn::ShiftRight<32>(hn::BitCast(du64, a)));
  const auto odd_b = hn::BitCast(d32, hn::ShiftRight<32>(hn::BitCast(du64, b)));
  return hn::Add(hn::MulEven(a, b), hn::MulEven(odd_a, odd_b));
}

template <class T>
std::int64_t IntDot(const T* HWY_RESTRICT x, const T* HWY_RESTRICT y, std::size_t n) {
  std::uint64_t total = 0;
  std::size_t i = 0;
  if constexpr (std::is_same_v<T, std::int64_t> || HWY_TARGET == HWY_SCALAR) {
    // No 64-bit lane multiply before AVX-512DQ (and no lane pairs on the
    // scalar target): a plain loop the compiler vectorizes where it can.
    for (; i < n; ++i) total += static_cast<std::uint64_t>(x[i]) * static_cast<std::uint64_t>(y[i]);
    return static_cast<std::int64_t>(total);
  } else {
    const hn::ScalableTag<std::int32_t> d32;
    const hn::Repartition<std::int64_t, decltype(d32)> d64;
    const std::size_t N = hn::Lanes(d32);
    const auto in = Stream<T>::Of(n, x, y);
    // int32's whole-vector loads start at x's first line boundary, as the
    // sums' do (a std::vector's buffer took twice an aligned one's time in
    // L1); uint8's quarter-vector loads seldom split a line.
    if constexpr (sizeof(T) == 4) {
      for (const std::size_t head = std::min(n, kernels::elements_before_line(x)); i < head; ++i) {
        total += static_cast<std::uint64_t>(x[i]) * static_cast<std::uint64_t>(y[i]);
      }
    }
    auto acc = hn::Zero(d64);
    while (i + N <= n) {
      for (const std::size_t stop = RunOfTurns(i, n, N, in); i < stop; i += N) {
        acc = hn::Add(acc, WideProducts(d32, LoadAs(d32, x + i), LoadAs(d32, y + i)));
      }
    }
    total += WrappingLaneSum(d64, acc);
    for (; i < n; ++i) {
      total += static_cast<std::uint64_t>(x[i]) * static_cast<std::uint64_t>(y[i]);
    }
    return static_cast<std::int64_t>(total);
  }
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
