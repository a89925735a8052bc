// One vector's lanes folded into one, in registers: the lower half with the
// upper, level by level. Stored and read back lane by lane, a vector cost a
// 1 KiB fast sum a third of its kernel's time, and the extremum scans 30-45
// ns a short call (GCC turned that into a store-forwarding stall;
// docs/PERF.md, "Small calls of every op").
#if defined(SWITCHYARD_KERNELS_SIMD_FOLD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_FOLD_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_FOLD_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_FOLD_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// combine(lower half, upper half) down to one lane: lane j meets lane
/// j + w for w = N/2, ..., 1, the fixed tree's order, which the sums' bits
/// rely on (kernels/common/sum_layout.hpp); Min and Max need no order.
template <class D, class Combine>
HWY_INLINE hn::TFromD<D> FoldHalves(D d, hn::Vec<D> v, Combine combine) {
#if HWY_TARGET == HWY_SCALAR  // one lane, and no UpperHalf
  (void)d;
  (void)combine;
  return hn::GetLane(v);
#else
  if constexpr (hn::MaxLanes(d) == 1) {
    return hn::GetLane(v);
  } else {
    const hn::Half<D> dh;
    return FoldHalves(dh, combine(hn::LowerHalf(dh, v), hn::UpperHalf(dh, v)), combine);
  }
#endif
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
