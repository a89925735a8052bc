// How a floating-point sum's lanes become one partial, in the fixed tree's
// order (kernels/common/sum_layout.hpp): between its vector accumulators,
// then within the last vector, in registers; the pairwise fold from memory;
// and the exact error of one add, which the compensated step shares. Also
// ForEachVector, the loop over accumulators that keeps them in registers.
// Included by sum-inl.h.
#if defined(SWITCHYARD_KERNELS_SIMD_SUM_FOLD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_SUM_FOLD_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_SUM_FOLD_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_SUM_FOLD_INL_H_
#endif

#include <cstddef>
#include <type_traits>
#include <utility>

#include <hwy/highway.h>

#include "kernels/common/partials.hpp"
#include "kernels/common/sum_layout.hpp"
#include "kernels/simd/fold-inl.h"
#include "kernels/simd/inline_lambda.hpp"

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// Calls f(k) for k = 0, ..., K - 1. Up to 8 accumulators (AVX2, AVX-512)
/// each k is a constant, so accumulators indexed by k stay in registers:
/// indexed by a loop's k, GCC 12 kept them on the stack outside the main
/// loop and reloaded them at each step after it (4-5 ns of a short sum, a
/// fifth of the double default's time). The 128-bit targets' 16 or 32
/// accumulators cannot all be registers, and unrolled they kept clang's
/// ASan build of the kernels compiling for over 13 minutes: a loop there.
template <std::size_t K, class F>
HWY_INLINE void ForEachVector(F&& f) {
  if constexpr (K <= 8) {
    [&f]<std::size_t... k>(std::index_sequence<k...>) SWITCHYARD_INLINE_LAMBDA {
      (f(std::integral_constant<std::size_t, k>{}), ...);
    }(std::make_index_sequence<K>{});
  } else {
    for (std::size_t k = 0; k < K; ++k) f(k);
  }
}

/// join(j, j + w) for j < w, for w = W, W / 2, ..., 1: the fixed tree's
/// levels between whole accumulators, each j a constant.
template <std::size_t W, class Join>
HWY_INLINE void FoldAccumulators(Join&& join) {
  if constexpr (W >= 1) {
    ForEachVector<W>([&](auto j) SWITCHYARD_INLINE_LAMBDA { join(j, j + W); });
    FoldAccumulators<W / 2>(join);
  }
}

/// The exact rounding error of t = a + b, lane by lane (Neumaier's: the
/// smaller operand's part lost, found from the larger's side), as
/// kernels::neumaier_add and kernels::combine find it.
template <class V>
HWY_INLINE V NeumaierError(V a, V b, V t) {
  const auto a_bigger = hn::Ge(hn::Abs(a), hn::Abs(b));
  return hn::IfThenElse(a_bigger, hn::Add(hn::Sub(a, t), b), hn::Add(hn::Sub(b, t), a));
}

/// kernels::combine on vectors, lane by lane: the pair (s_r, c_r), the
/// higher lanes', joins (s, c).
template <class V>
HWY_INLINE void CombinePairs(V& s, V& c, V s_r, V c_r) {
  const V t = hn::Add(s, s_r);
  c = hn::Add(hn::Add(c, c_r), NeumaierError(s, s_r, t));
  s = t;
}

/// FoldHalves for a vector of (sum, compensation) pairs: lane j's pair meets
/// lane j + w's by CombinePairs, for w = N/2, ..., 1.
template <class D, class A = hn::TFromD<D>>
HWY_INLINE kernels::sum_partial<A> FoldPairHalves(D d, hn::Vec<D> s, hn::Vec<D> c) {
#if HWY_TARGET == HWY_SCALAR  // one lane, and no UpperHalf
  (void)d;
  return {hn::GetLane(s), hn::GetLane(c)};
#else
  if constexpr (hn::MaxLanes(d) == 1) {
    return {hn::GetLane(s), hn::GetLane(c)};
  } else {
    const hn::Half<D> dh;
    auto low_s = hn::LowerHalf(dh, s), low_c = hn::LowerHalf(dh, c);
    CombinePairs(low_s, low_c, hn::UpperHalf(dh, s), hn::UpperHalf(dh, c));
    return FoldPairHalves(dh, low_s, low_c);
  }
#endif
}

/// kernels::fold_lanes with the levels at least a vector wide done in
/// vectors (combine(), lane by lane: the same bits), the rest as there: the
/// pairwise sum's fold, whose lane sums come from its stack in memory. Of a
/// short sum's fixed cost this was most: 63 scalar combines.
template <class D, class A = hn::TFromD<D>>
HWY_INLINE kernels::sum_partial<A> FoldLanes(D d, A* s, A* c) {
  using V = hn::Vec<D>;
  constexpr std::size_t N = hn::MaxLanes(d);
  std::size_t w = lanes<A> / 2;
  for (; w >= N; w /= 2) {
    for (std::size_t j = 0; j < w; j += N) {
      V ls = hn::Load(d, s + j), lc = hn::Load(d, c + j);
      CombinePairs(ls, lc, hn::Load(d, s + j + w), hn::Load(d, c + j + w));
      hn::Store(ls, d, s + j);
      hn::Store(lc, d, c + j);
    }
  }
  return kernels::fold_lanes(s, c, w);
}

/// compensated's fold (kernels::fold_lanes): between the K accumulator
/// pairs, then within the last, all in registers. Through memory, with
/// scalar combines below a vector's width (FoldLanes), a default sum of 8
/// doubles took 22 ns on the Zen 4 guest, and 18-19 in registers (`fast`:
/// 12; docs/PERF.md, "The compensated step on both pipes").
template <class D, std::size_t K, class A = hn::TFromD<D>>
HWY_INLINE kernels::sum_partial<A> FoldLanesCompensated(D d, hn::Vec<D> (&s)[K], hn::Vec<D> (&c)[K]) {
  FoldAccumulators<K / 2>([&](auto j, auto r) SWITCHYARD_INLINE_LAMBDA { CombinePairs(s[j], c[j], s[r], c[r]); });
  return FoldPairHalves(d, s[0], c[0]);
}

/// fast's fold (kernels::fold_lanes_plain): between the K accumulators, then
/// within the last vector, all in registers. A 1 KiB sum spent a third of its
/// kernel's time storing that vector and folding its lanes one by one.
template <class D, std::size_t K, class A = hn::TFromD<D>>
HWY_INLINE kernels::sum_partial<A> FoldLanesPlain(D d, hn::Vec<D> (&s)[K]) {
  FoldAccumulators<K / 2>([&](auto j, auto r) SWITCHYARD_INLINE_LAMBDA { s[j] = hn::Add(s[j], s[r]); });
  return {FoldHalves(d, s[0], [](auto a, auto b) { return hn::Add(a, b); }), A(0)};
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
