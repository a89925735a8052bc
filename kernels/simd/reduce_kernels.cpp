// Compiles the per-target kernels once for every Highway target and exports
// them behind the plain functions of reduce_kernels.hpp (Highway's
// foreach_target / HWY_EXPORT / HWY_DYNAMIC_DISPATCH pattern).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/reduce_kernels.cpp"
#include <hwy/foreach_target.h>  // must come before highway.h

#include <hwy/highway.h>

#include <atomic>
#include <type_traits>

// GCC 12.2's loop vectorizer at -O3 gets the scalar target's integer sum
// wrong for some start offsets (a loop of Highway's one-lane vectors, which
// it turns into real ones; right with -fno-tree-loop-vectorize, with Clang,
// and under UBSan). The scalar target has nothing to gain from it.
#if HWY_TARGET == HWY_SCALAR && HWY_COMPILER_GCC_ACTUAL
#pragma GCC push_options
#pragma GCC optimize("no-tree-loop-vectorize")
#endif

#include "kernels/simd/count-inl.h"
#include "kernels/simd/extremum-inl.h"
#include "kernels/simd/sum-inl.h"

// Highway-exported names are PascalCase, one per element type (HWY_EXPORT
// needs a plain function name, not a template).
#define SWITCHYARD_FOR_EACH_FLOAT(X) X(F32, float) X(F64, double)
#define SWITCHYARD_FOR_EACH_INTEGER(X) X(I32, std::int32_t) X(I64, std::int64_t) X(U8, std::uint8_t)
#define SWITCHYARD_FOR_EACH_ELEMENT(X) SWITCHYARD_FOR_EACH_FLOAT(X) SWITCHYARD_FOR_EACH_INTEGER(X)
// The inputs whose squares norm2 sums in double (double itself sums in double).
#define SWITCHYARD_FOR_EACH_INTEGER_OR_FLOAT(X) \
  X(F32, float) X(I32, std::int32_t) X(I64, std::int64_t) X(U8, std::uint8_t)

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {

// The sums call their kernel directly (FloatSum says why), so floating-point
// and integer elements have entry points of their own.
#define SWITCHYARD_SIMD_DEFINE_FLOAT_SUMS(S, T)                                                \
  sum_partial_t<T> Sum##S(const T* x, std::size_t n, accuracy m, std::size_t stream) {       \
    return FloatSum(Plain<T>{x}, n, m, stream);                                               \
  }                                                                                           \
  sum_partial_t<T> Dot##S(const T* x, const T* y, std::size_t n, accuracy m, std::size_t stream) { \
    return FloatSum(Products<T>{x, y}, n, m, stream);                                         \
  }                                                                                           \
  sum_partial_t<T> Squares##S(const T* x, std::size_t n, accuracy m, std::size_t stream) {   \
    return FloatSum(Squares<T>{x}, n, m, stream);                                             \
  }
#define SWITCHYARD_SIMD_DEFINE_INTEGER_SUMS(S, T)                                              \
  sum_partial_t<T> Sum##S(const T* x, std::size_t n, accuracy, std::size_t) { return IntSum(x, n); } \
  sum_partial_t<T> Dot##S(const T* x, const T* y, std::size_t n, accuracy, std::size_t) {    \
    return IntDot(x, y, n);                                                                   \
  }                                                                                           \
  sum_partial_t<T> Squares##S(const T* x, std::size_t n, accuracy, std::size_t) { return IntDot(x, x, n); }
SWITCHYARD_FOR_EACH_FLOAT(SWITCHYARD_SIMD_DEFINE_FLOAT_SUMS)
SWITCHYARD_FOR_EACH_INTEGER(SWITCHYARD_SIMD_DEFINE_INTEGER_SUMS)
#undef SWITCHYARD_SIMD_DEFINE_FLOAT_SUMS
#undef SWITCHYARD_SIMD_DEFINE_INTEGER_SUMS

#define SWITCHYARD_SIMD_DEFINE(S, T)                                                           \
  extremum<T> ArgMin##S(const T* x, std::size_t n) { return ArgExtremum<false>(x, n); }      \
  extremum<T> ArgMax##S(const T* x, std::size_t n) { return ArgExtremum<true>(x, n); }       \
  bounds<T> MinMax##S(const T* x, std::size_t n) { return MinMaxOf(x, n); }                  \
  std::size_t Count##S(const T* x, std::size_t n, compare<T> p, std::size_t stream) {          \
    return CountOf(x, n, p, stream);                                                          \
  }
SWITCHYARD_FOR_EACH_ELEMENT(SWITCHYARD_SIMD_DEFINE)
#undef SWITCHYARD_SIMD_DEFINE

#define SWITCHYARD_SIMD_DEFINE_WIDE(S, T)                                      \
  sum_partial<double> WideSquares##S(const T* x, std::size_t n, accuracy m, std::size_t stream) { \
    return WideSquaresOf(x, n, m, stream);                                   \
  }
SWITCHYARD_FOR_EACH_INTEGER_OR_FLOAT(SWITCHYARD_SIMD_DEFINE_WIDE)
#undef SWITCHYARD_SIMD_DEFINE_WIDE

std::int64_t Target() { return HWY_TARGET; }

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_TARGET == HWY_SCALAR && HWY_COMPILER_GCC_ACTUAL
#pragma GCC pop_options
#endif

#if HWY_ONCE
namespace switchyard::kernels::simd {

// Highway's HWY_DYNAMIC_DISPATCH asks libhwy for its chosen target (a call
// through the PLT) at every call. The object is the same for the process's
// life (hwy::SetSupportedTargetsForTest changes the mask it holds, which is
// still read at every call), so it is asked for once, and a call here is a
// load, a table lookup and a jump: on the Zen 1 guest a 1 KiB `fast` sum
// took 54-56 ns through Highway's macro and 46-48 through this one
// (docs/PERF.md, "Highway's dispatch, once"). Compiled for one target
// (Highway's own condition for it), there is no table: Highway's macro
// calls that target.
#if HWY_IDE || ((HWY_TARGETS & (HWY_TARGETS - 1)) == 0)
#define SWITCHYARD_DISPATCH(FUNC_NAME) HWY_DYNAMIC_DISPATCH(FUNC_NAME)
#else
namespace {

std::atomic<hwy::ChosenTarget*> chosen{nullptr};

[[gnu::noinline, gnu::cold]] hwy::ChosenTarget& first_chosen_target() {
  hwy::ChosenTarget& c = hwy::GetChosenTarget();
  chosen.store(&c, std::memory_order_relaxed);
  return c;
}

HWY_INLINE hwy::ChosenTarget& chosen_target() {
  hwy::ChosenTarget* c = chosen.load(std::memory_order_relaxed);
  return c != nullptr ? *c : first_chosen_target();
}

}  // namespace

#define SWITCHYARD_DISPATCH(FUNC_NAME) (*(HWY_DISPATCH_TABLE(FUNC_NAME)[chosen_target().GetIndex()]))
#endif

// Two kinds of floating-point sum run the AVX2 kernel in place of a wider
// chosen one on a CPU whose tuning asks for it (Zen 4): a same-type fast
// sum's chunk of a long stream (cpu_tuning.hpp, fast_streams_on_avx2), and
// a sum in double lanes of floats (the default accuracy's sum, dot and
// sum_of_squares, norm2 in every mode) on a chunk of a short stream
// (widening_on_avx2). The same bits, since a sum's lanes do not depend on
// the vector width (sum_layout.hpp). Any other call pays a compare or two.
#if HWY_IDE || ((HWY_TARGETS & (HWY_TARGETS - 1)) == 0) || (HWY_TARGETS & HWY_AVX2) == 0
#define SWITCHYARD_DISPATCH_SUM(FUNC_NAME, index) SWITCHYARD_DISPATCH(FUNC_NAME)
#else
namespace {

HWY_INLINE std::size_t avx2_index() {
  return hwy::Num0BitsBelowLS1Bit_Nonzero64(HWY_CHOSEN_TARGET_SHIFT(HWY_AVX2));
}

/// The dispatch table's entry for a sum of T: the chosen target's, or
/// AVX2's where the tuning asks and the chosen one is wider (index 0: none
/// chosen yet, the entry that chooses). kPlainSum: sum itself, not dot or
/// the squares; `widens`: the sum is in double lanes of floats.
template <class T, bool kPlainSum>
HWY_INLINE std::size_t sum_index(bool widens, accuracy m, std::size_t stream) {
  const std::size_t index = chosen_target().GetIndex();
  if constexpr (!std::is_floating_point_v<T>) {
    return index;
  } else {
    const bool long_stream = stream >= long_stream_bytes / sizeof(T);
    const bool fast_stream = kPlainSum && !widens && m == accuracy::fast && long_stream;
    if ((!fast_stream && !(widens && !long_stream)) || index == 0 || index >= avx2_index()) return index;
    const cpu_tuning tuning = cpu_tuning_in_use();
    return (fast_stream ? tuning.fast_streams_on_avx2 : tuning.widening_on_avx2) ? avx2_index() : index;
  }
}

}  // namespace

#define SWITCHYARD_DISPATCH_SUM(FUNC_NAME, index) (*(HWY_DISPATCH_TABLE(FUNC_NAME)[index]))
#endif

#define SWITCHYARD_SIMD_EXPORT(S, T)                                                      \
  HWY_EXPORT(Sum##S);                                                                     \
  HWY_EXPORT(Dot##S);                                                                     \
  HWY_EXPORT(Squares##S);                                                                 \
  HWY_EXPORT(ArgMin##S);                                                                  \
  HWY_EXPORT(ArgMax##S);                                                                  \
  HWY_EXPORT(MinMax##S);                                                                  \
  HWY_EXPORT(Count##S);                                                                   \
  sum_partial_t<T> sum(const T* x, std::size_t n, accuracy m, std::size_t stream) {      \
    return SWITCHYARD_DISPATCH_SUM(Sum##S, (sum_index<T, true>(widened<T>(m), m, stream)))(x, n, m, stream); \
  }                                                                                       \
  sum_partial_t<T> dot(const T* x, const T* y, std::size_t n, accuracy m, std::size_t stream) { \
    return SWITCHYARD_DISPATCH_SUM(Dot##S, (sum_index<T, false>(widened<T>(m), m, stream)))(x, y, n, m, stream); \
  }                                                                                       \
  sum_partial_t<T> sum_of_squares(const T* x, std::size_t n, accuracy m, std::size_t stream) { \
    return SWITCHYARD_DISPATCH_SUM(Squares##S, (sum_index<T, false>(widened<T>(m), m, stream)))(x, n, m, stream); \
  }                                                                                       \
  extremum<T> argmin(const T* x, std::size_t n) { return SWITCHYARD_DISPATCH(ArgMin##S)(x, n); }  \
  extremum<T> argmax(const T* x, std::size_t n) { return SWITCHYARD_DISPATCH(ArgMax##S)(x, n); }  \
  bounds<T> minmax(const T* x, std::size_t n) { return SWITCHYARD_DISPATCH(MinMax##S)(x, n); }    \
  std::size_t count(const T* x, std::size_t n, compare<T> p, std::size_t stream) {       \
    return SWITCHYARD_DISPATCH(Count##S)(x, n, p, stream);                                \
  }
SWITCHYARD_FOR_EACH_ELEMENT(SWITCHYARD_SIMD_EXPORT)
#undef SWITCHYARD_SIMD_EXPORT

#define SWITCHYARD_SIMD_EXPORT_WIDE(S, T)                                        \
  HWY_EXPORT(WideSquares##S);                                                  \
  sum_partial<double> sum_of_squares_wide(const T* x, std::size_t n, accuracy m, std::size_t stream) { \
    return SWITCHYARD_DISPATCH_SUM(WideSquares##S,                             \
                                   (sum_index<T, false>(std::is_same_v<T, float>, m, stream)))(x, n, m, stream); \
  }
SWITCHYARD_FOR_EACH_INTEGER_OR_FLOAT(SWITCHYARD_SIMD_EXPORT_WIDE)
#undef SWITCHYARD_SIMD_EXPORT_WIDE

HWY_EXPORT(Target);
std::string_view target_name() { return hwy::TargetName(SWITCHYARD_DISPATCH(Target)()); }

}  // namespace switchyard::kernels::simd
#endif  // HWY_ONCE
