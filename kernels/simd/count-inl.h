// Per-target Highway kernel for count_if with a built-in comparison.
#if defined(SWITCHYARD_KERNELS_SIMD_COUNT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_COUNT_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_COUNT_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_COUNT_INL_H_
#endif

#include <cstddef>
#include <type_traits>

#include <hwy/highway.h>
#include <switchyard/predicates.hpp>

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class T, class Cmp>
std::size_t CountWith(const T* HWY_RESTRICT p, std::size_t n, compare<T> pred, Cmp cmp) {
  const hn::ScalableTag<T> d;
  const std::size_t N = hn::Lanes(d);
  const auto value = hn::Set(d, pred.value);
  std::size_t k0 = 0;
  std::size_t k1 = 0;
  std::size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    k0 += hn::CountTrue(d, cmp(hn::LoadU(d, p + i), value));
    k1 += hn::CountTrue(d, cmp(hn::LoadU(d, p + i + N), value));
  }
  for (; i < n; ++i) k0 += pred(p[i]) ? 1 : 0;
  return k0 + k1;
}

template <class T>
std::size_t CountOf(const T* p, std::size_t n, compare<T> pred) {
  switch (pred.op) {
    case comparison::less: return CountWith(p, n, pred, [](auto a, auto b) { return hn::Lt(a, b); });
    case comparison::less_equal:
      if constexpr (std::is_floating_point_v<T>) {
        return CountWith(p, n, pred, [](auto a, auto b) { return hn::Le(a, b); });
      } else {  // Highway 1.0 has no integer <=; integers have no NaN, so !(a > b)
        return CountWith(p, n, pred, [](auto a, auto b) { return hn::Not(hn::Gt(a, b)); });
      }
    case comparison::equal: return CountWith(p, n, pred, [](auto a, auto b) { return hn::Eq(a, b); });
    case comparison::not_equal:  // x86's ordered != is false for NaN; IEEE says true
      return CountWith(p, n, pred, [](auto a, auto b) { return hn::Not(hn::Eq(a, b)); });
    case comparison::greater_equal:
      if constexpr (std::is_floating_point_v<T>) {
        return CountWith(p, n, pred, [](auto a, auto b) { return hn::Ge(a, b); });
      } else {
        return CountWith(p, n, pred, [](auto a, auto b) { return hn::Not(hn::Lt(a, b)); });
      }
    case comparison::greater: return CountWith(p, n, pred, [](auto a, auto b) { return hn::Gt(a, b); });
  }
  return 0;
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
