// Per-target loads of Lanes(d) elements of a narrower or equal type, widened
// to d's lane type: whole vectors, and the first n of an input shorter than
// a vector; and a loaded vector held in a register. Shared by the sums
// (sum-inl.h, int_sum-inl.h) and the extremum scans (extremum-inl.h).
#if defined(SWITCHYARD_KERNELS_SIMD_LOAD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_LOAD_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_LOAD_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_LOAD_INL_H_
#endif

#include <cstddef>
#include <cstring>
#include <type_traits>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// Loads Lanes(d) elements of type In and widens them to d's lane type.
template <class D, class In>
HWY_INLINE hn::Vec<D> LoadAs(D d, const In* HWY_RESTRICT p) {
  if constexpr (std::is_same_v<hn::TFromD<D>, In>) {
    return hn::LoadU(d, p);
  } else {
    return hn::PromoteTo(d, hn::LoadU(hn::Rebind<In, D>(), p));
  }
}

/// v, held in a register: the compiler can no longer fold its load into
/// each operation that uses it. A vector loaded once and used by three
/// (minmax's Min, Max and NaN sum) was loaded again by GCC 12 for each use
/// on AVX-512, ten loads a turn of four vectors, and minmax over 2 GiB read
/// at 0.61-0.74 of the hand-written loop's speed on one Zen 5 thread and
/// 0.82-0.85 on two; with one load a vector 0.68-0.86 and 0.87-0.96
/// (docs/PERF.md, "One load a vector").
template <class V>
HWY_INLINE V InRegister(V v) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3
  asm("" : "+v"(v.raw));
#endif
  return v;
}

/// Loads the first n < Lanes(d) elements of type In, widened to d's lane
/// type, +0.0 in the other lanes; nothing past them is read. AVX2's and
/// AVX-512's masked loads of the 32- and 64-bit elements summed here leave
/// the memory past n alone; elsewhere (Highway's masked loads may read it)
/// the elements go through a zero-padded copy. An input shorter than a
/// vector has no whole vector inside it to read: from such a copy, whose
/// narrow stores stall the vector load after them, a sum of 7 floats took
/// twice the time of one of 16 (docs/PERF.md, "Sums shorter than a vector").
template <class D, class In>
HWY_INLINE hn::Vec<D> LoadFirstAs(D d, const In* HWY_RESTRICT p, std::size_t n) {
  const hn::Rebind<In, D> di;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  const auto v = hn::MaskedLoad(hn::FirstN(di, n), di, p);
#else
  alignas(64) In padded[hn::MaxLanes(di)] = {};
  std::memcpy(padded, p, n * sizeof(In));
  const auto v = hn::Load(di, padded);
#endif
  if constexpr (std::is_same_v<hn::TFromD<D>, In>) {
    return v;
  } else {
    return hn::PromoteTo(d, v);
  }
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
