// Per-target Highway kernels for sums: sum, dot, sum_of_squares. Floating-point
// sums follow kernels/common/sum_layout.hpp (the same bits on every target);
// integer sums (int_sum-inl.h) accumulate in 64-bit lanes and wrap. Compiled
// once per target by reduce_kernels.cpp through hwy/foreach_target.h.
#if defined(SWITCHYARD_KERNELS_SIMD_SUM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SWITCHYARD_KERNELS_SIMD_SUM_INL_H_
#undef SWITCHYARD_KERNELS_SIMD_SUM_INL_H_
#else
#define SWITCHYARD_KERNELS_SIMD_SUM_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include <hwy/highway.h>
#include <switchyard/options.hpp>

#include "kernels/common/alignment.hpp"
#include "kernels/common/partials.hpp"
#include "kernels/common/sum_layout.hpp"
#include "kernels/scalar/reduce_scalar.hpp"
#include "kernels/simd/inline_lambda.hpp"
#include "kernels/simd/int_sum-inl.h"
#include "kernels/simd/load-inl.h"
#include "kernels/simd/stream-inl.h"
#include "kernels/simd/sum_fold-inl.h"

HWY_BEFORE_NAMESPACE();
namespace switchyard::kernels::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The element transforms a float sum runs over: a vector of terms from
// element i on, the same added to an accumulator in one step (AddTerm), and
// the first n < Lanes(d) terms of an input shorter than a vector (+0.0 after
// them).
template <class In>
struct Plain {
  const In* a;
  template <class D>
  HWY_INLINE hn::Vec<D> operator()(D d, std::size_t i) const { return LoadAs(d, a + i); }
  template <class D>
  HWY_INLINE hn::Vec<D> AddTo(D d, hn::Vec<D> acc, std::size_t i) const {
    return hn::MulAdd(LoadAs(d, a + i), hn::Set(d, hn::TFromD<D>(1)), acc);
  }
  template <class D>
  HWY_INLINE hn::Vec<D> First(D d, std::size_t n) const { return LoadFirstAs(d, a, n); }
  const In* b = nullptr;
};

template <class In>
struct Squares {
  const In* a;
  template <class D>
  HWY_INLINE hn::Vec<D> operator()(D d, std::size_t i) const {
    const auto v = LoadAs(d, a + i);
    return hn::Mul(v, v);
  }
  template <class D>
  HWY_INLINE hn::Vec<D> AddTo(D d, hn::Vec<D> acc, std::size_t i) const {
    const auto v = LoadAs(d, a + i);
    return hn::MulAdd(v, v, acc);
  }
  template <class D>
  HWY_INLINE hn::Vec<D> First(D d, std::size_t n) const {
    const auto v = LoadFirstAs(d, a, n);
    return hn::Mul(v, v);
  }
  const In* b = nullptr;
};

template <class In>
struct Products {
  const In* a;
  const In* b;
  template <class D>
  HWY_INLINE hn::Vec<D> operator()(D d, std::size_t i) const {
    return hn::Mul(LoadAs(d, a + i), LoadAs(d, b + i));
  }
  template <class D>
  HWY_INLINE hn::Vec<D> AddTo(D d, hn::Vec<D> acc, std::size_t i) const {
    return hn::MulAdd(LoadAs(d, a + i), LoadAs(d, b + i), acc);
  }
  template <class D>
  HWY_INLINE hn::Vec<D> First(D d, std::size_t n) const { return hn::Mul(LoadFirstAs(d, a, n), LoadFirstAs(d, b, n)); }
};

/// kernels::neumaier_add on vectors, lane by lane: the exact rounding error
/// of s + x joins c. Every exact form finds the same error, so the bits are
/// the scalar kernel's whichever runs; what differs is the pipes. With
/// kFusedAdds, where FMA is native, Knuth's TwoSum with three of its seven
/// adds as multiply-adds by -1 or 1 (a product by one is exact, so each
/// rounds once, as the add does): four adds and three multiply-adds, where
/// Neumaier's compare and blend put six adds and four more operations on
/// the same pipes. On the Zen 4 guest a compensated double sum of 64 KiB
/// took 1.15-1.22 us against 1.76-1.77 (AVX-512) and 1.31-1.33 against
/// 2.07 (AVX2); TwoSum as seven adds was slower than Neumaier's step
/// (docs/PERF.md, "The compensated step on both pipes"). Both errors are
/// exact while s + x is finite, near the largest double too: 187 million
/// pairs there gave the same error both ways (a check not kept), and
/// determinism_test's CompensatedSumsOfEveryMagnitudeGiveTheSerialBits
/// sums lanes that swing up to it; once a lane is infinite only its sum
/// reaches the result (partials.hpp). A core that runs multiply-adds slower
/// than adds (Zen 1: cpu_tuning.hpp, add_form) keeps Neumaier's step.
template <bool kFusedAdds, class V>
HWY_INLINE void CompensatedAdd(V& s, V& c, V x) {
  const V t = hn::Add(s, x);
#if HWY_NATIVE_FMA
  if constexpr (kFusedAdds) {
    const hn::DFromV<V> d;
    const V one = hn::Set(d, hn::TFromV<V>(1)), minus_one = hn::Set(d, hn::TFromV<V>(-1));
    const V x_part = hn::Sub(t, s);                      // what of x reached t
    const V s_part = hn::MulAdd(x_part, minus_one, t);   // t - x_part
    const V e = hn::Add(hn::Sub(s, s_part), hn::MulAdd(x_part, minus_one, x));
    c = hn::MulAdd(e, one, c);
    s = t;
    return;
  }
#endif
  c = hn::Add(c, NeumaierError(s, x, t));
  s = t;
}

/// acc + x(d, i), lane by lane. Where every term is exact in A (float
/// input in double lanes: an element, or the product of two, has at most
/// 48 significant bits) the multiply-add rounds once, as the add does, so it
/// gives the same bits (the determinism suite compares every target with the
/// scalar kernel's adds); and it runs on the FMA pipes, leaving the add pipes
/// to the widening conversions, which shared them: on Zen 5 the default
/// float sum in L2 went from 2.2x to 1.9-2.0x fast's time (docs/PERF.md,
/// "The widening's adds on the FMA pipes"). Zen 1 is the other way round:
/// its plain sum's terms are added without kFusedAdds (WidenedSum).
template <class A, class In, bool kFusedAdds, class X, class D>
HWY_INLINE hn::Vec<D> AddTerm(D d, hn::Vec<D> acc, const X& x, std::size_t i) {
  if constexpr (kFusedAdds && std::is_same_v<A, double> && std::is_same_v<In, float>) {
    return x.AddTo(d, acc, i);
  } else {
    return hn::Add(acc, x(d, i));
  }
}

/// Where a sum's rows start: at x's first cache-line boundary
/// (kernels/common/alignment.hpp) from 1 KiB where the loads are whole
/// vectors (A is In): below that the first row's moves cost more than the
/// split lines do (on the Zen 5 guest, 1-2 ns a call at 64-512 bytes; from
/// 1.5 KiB the aligned rows are as fast or faster, 2,000 floats 49 -> 31
/// ns). A widening sum loads half vectors, which split a line half as
/// often, and converts every element: from a line it measured no faster at
/// any size in L1 or L2, so it starts at a line only from a whole chunk
/// (65,536 elements) up, a thousandth of the work there (docs/PERF.md,
/// "Aligned rows" and "A sum's first and last rows").
template <class A, class In>
HWY_INLINE std::size_t AlignedStart(const In* a, std::size_t n) {
  constexpr std::size_t shortest = std::is_same_v<A, In> ? 1024 / sizeof(In) : 65536;
  return n < shortest ? 0 : kernels::elements_before_line(a);
}

/// v's lanes turned: lane j of the result is lane (j + s) mod N of v.
template <class D>
HWY_INLINE hn::Vec<D> Rotated(D d, hn::Vec<D> v, std::size_t s) {
  const hn::RebindToSigned<D> di;
  using I = hn::TFromD<decltype(di)>;
  const auto from = hn::And(hn::Add(hn::Iota(di, 0), hn::Set(di, static_cast<I>(s))), hn::Set(di, static_cast<I>(hn::Lanes(d) - 1)));
  return hn::TableLookupLanes(v, hn::IndicesFromVec(d, from));
}

/// Lane j of the result is v's lane j - s, the first s lanes +0.0
/// (s <= N: 0 leaves v as it is, N gives zeros).
template <class D>
HWY_INLINE hn::Vec<D> LanesUp(D d, hn::Vec<D> v, std::size_t s) {
  return hn::IfThenZeroElse(hn::FirstN(d, s), Rotated(d, v, hn::Lanes(d) - s));
}

/// Lane j of the result is v's lane j + s, the last s lanes +0.0 (s <= N).
template <class D>
HWY_INLINE hn::Vec<D> LanesDown(D d, hn::Vec<D> v, std::size_t s) {
  return hn::IfThenElseZero(hn::FirstN(d, hn::Lanes(d) - s), Rotated(d, v, s));
}

/// Sums x(i) for i in [0, n) in the fixed lane layout; A is the accumulator
/// type, In the element type read; kToL2, how its touches reach (Stream);
/// kFusedAdds, whether adds that may run as multiply-adds do (AddTerm,
/// CompensatedAdd).
///
/// Rows are read from the first 64-byte boundary, h elements in: element i
/// then sits at register position (i - h) mod L, not at its lane i mod L.
/// Each lane still adds its own elements in order: the h elements before
/// the boundary come first, as a row of zeros ending in them (positions
/// L - h ...). Adding +0.0 changes no bit of a finite lane (sum_layout.hpp),
/// and once a lane is infinite or NaN only its sum, not its compensation,
/// reaches the result (partials.hpp: finish). The fold needs no rotating
/// back: it pairs positions q and q + w (mod 2w) level by level, which are
/// lanes j and j + w, and its adds and combine() are commutative to the bit,
/// so each level's sums are the same, only held h (mod w) positions along.
///
/// x comes by value, as do the transforms through FloatSum and WidenedSum:
/// its two pointers arrive in registers. By reference, the caller's two
/// 8-byte stores fed the callee's one 16-byte load, which no store can
/// forward, and it waited for both to reach the cache: on the Zen 1 guest a
/// 1 KiB `fast` sum took 65 ns, and 50 by value (docs/PERF.md, "A small
/// call's stall").
///
/// Compiled once per mode: one function holding all three kept every call
/// on the pairwise stack's frame and the other modes' tests and spills (a
/// 1 KiB `fast` sum on the Zen 1 guest: docs/PERF.md, "A small call's
/// path").
template <class A, bool kToL2, accuracy kMode, bool kFusedAdds = true, class In, template <class> class X>
HWY_NOINLINE kernels::sum_partial<A> LayoutSum(X<In> x, std::size_t n) {
  const hn::ScalableTag<A> d;
  using V = hn::Vec<decltype(d)>;
  constexpr std::size_t N = hn::MaxLanes(d);
  constexpr std::size_t L = lanes<A>;
  constexpr std::size_t K = L / N;  // vector accumulators per lane set
  static_assert(L % N == 0, "the virtual lane count must be a multiple of the vector width");

  const std::size_t h = kMode == accuracy::pairwise ? 0 : AlignedStart<A>(x.a, n);
  constexpr bool plain_same_type = std::is_same_v<X<In>, Plain<In>> && std::is_same_v<A, In>;
  const auto in = Stream<In, kToL2>::Of(n, x.a, x.b, plain_same_type && kMode == accuracy::fast);
  const std::size_t full = h + (n - h) / L * L;  // rows [h + r L, h + (r + 1) L) are whole

  // The first row (when rows start at h) and the last row's partial vector
  // are read as whole vectors inside [0, n) whose elements are moved to
  // their positions in registers, +0.0 in the others (which changes no bit:
  // sum_layout.hpp). As zero-padded copies on the stack, their reloads
  // stalled on the copies' stores: a 16 KiB fast sum from a std::vector's
  // start took 1.5x its aligned time (docs/PERF.md, "A sum's first and last
  // rows"). The first row's h elements fill at most its last 64 bytes
  // (head_size elements): only the vectors there are added. These terms
  // join with a plain add: where AddTerm multiplies and adds in one step,
  // the term is exact, so both round once, to the same bits.
  constexpr std::size_t head_size = std::max<std::size_t>(64 / sizeof(In), N);
  constexpr std::size_t head_k = (L - head_size) / N;  // the first vector holding head elements
  // Vector k's lane 0 holds element (k - head_k) N - (head_size - h); where
  // that is negative, the vector from element 0 moved up.
  auto first_row = [&](auto&& add) SWITCHYARD_INLINE_LAMBDA {
    ForEachVector<K>([&](auto k) SWITCHYARD_INLINE_LAMBDA {
      if (k >= head_k) {
        const auto start = static_cast<std::ptrdiff_t>((k - head_k) * N + h) - static_cast<std::ptrdiff_t>(head_size);
        const std::size_t up = start >= 0 ? 0 : std::min<std::size_t>(N, static_cast<std::size_t>(-start));
        add(k, LanesUp(d, x(d, start >= 0 ? static_cast<std::size_t>(start) : 0), up));
      }
    });
  };
  // Vector k's lane j holds element full + k N + j, none from n on: whole
  // vectors are read in place, the one passing n is the vector ending at n
  // moved down; an input shorter than a vector is its first n terms.
  auto last_row = [&](auto&& add) SWITCHYARD_INLINE_LAMBDA {
    if (n < N) return add(std::size_t{0}, x.First(d, n));
    ForEachVector<K>([&](auto k) SWITCHYARD_INLINE_LAMBDA {
      const std::size_t first = full + k * N;
      if (first + N <= n) {
        add(k, x(d, first));
      } else if (first < n) {
        add(k, LanesDown(d, x(d, n - N), first + N - n));
      }
    });
  };

  V s[K];
  V c[K];
  ForEachVector<K>([&](auto k) SWITCHYARD_INLINE_LAMBDA { s[k] = c[k] = hn::Zero(d); });

  if constexpr (kMode == accuracy::pairwise) {
    pairwise_stack<A> stack;
    V t[K];
    auto push_leaf = [&] SWITCHYARD_INLINE_LAMBDA {
      A* slot = stack.next_leaf();
      ForEachVector<K>([&](auto k) SWITCHYARD_INLINE_LAMBDA { hn::Store(t[k], d, slot + k * N); });
      stack.push_leaf();
    };
    std::size_t i = 0;
    for (std::size_t leaf = 0;; leaf += leaf_rows * L) {
      ForEachVector<K>([&](auto k) SWITCHYARD_INLINE_LAMBDA { t[k] = hn::Zero(d); });
      const std::size_t end = std::min(n, leaf + leaf_rows * L);
      auto add_row = [&](std::size_t row) SWITCHYARD_INLINE_LAMBDA {
        ForEachVector<K>([&](auto k) SWITCHYARD_INLINE_LAMBDA { t[k] = AddTerm<A, In, kFusedAdds>(d, t[k], x, row + k * N); });
      };
      while (i + 2 * L <= end) {
        for (const std::size_t stop = RunOfTurns(i, end, 2 * L, in); i < stop; i += 2 * L) {
          add_row(i);
          add_row(i + L);
        }
      }
      if (i + L <= end) {
        add_row(i);
        i += L;
      }
      if (end == n) break;
      push_leaf();
    }
    // The last leaf's partial row, after the loop: inside it, the
    // registers its moves need left GCC 12 keeping the leaf's accumulators
    // on the stack, a load and a store around every add (on the Zen 1 guest
    // a pairwise sum of 64 KiB took 3.3x `fast`'s time, now 1.4x: docs/PERF.md,
    // "A pairwise leaf's registers"). Rows two a turn, as `fast` adds them.
    if (i < n) last_row([&](std::size_t k, V term) SWITCHYARD_INLINE_LAMBDA { t[k] = hn::Add(t[k], term); });
    push_leaf();
    alignas(64) A lane_s[L];
    alignas(64) A lane_c[L];
    stack.collapse(lane_s);
    std::memset(lane_c, 0, sizeof lane_c);  // pairwise leaves carry no compensation
    return FoldLanes(d, lane_s, lane_c);
  } else if constexpr (kMode == accuracy::compensated) {
    if (h > 0) first_row([&](std::size_t k, V term) SWITCHYARD_INLINE_LAMBDA { CompensatedAdd<kFusedAdds>(s[k], c[k], term); });
    // A run's rows a group of G vectors at a time, each lane's terms still
    // in order (the same bits): 8 sums and their compensations with the
    // step's temporaries are more than AVX2's 16 registers, and GCC 12 kept
    // compensations on the stack, loaded and stored at every step. Groups
    // of 4 fit; a double sum of 64 KiB on the Zen 1 guest took 6.5 -> 6.0
    // us (docs/PERF.md, "A pairwise leaf's registers"). The 128-bit
    // targets' accumulators (K > 8) stay one loop.
    constexpr std::size_t G = K <= 8 ? std::min<std::size_t>(K, 4) : K;
    for (std::size_t i = h; i < full;) {
      const std::size_t from = i;
      i = RunOfTurns(i, full, L, in);
      ForEachVector<K / G>([&](auto g) SWITCHYARD_INLINE_LAMBDA {
        for (std::size_t row = from; row < i; row += L) {
          ForEachVector<G>([&](auto j) SWITCHYARD_INLINE_LAMBDA {
            const std::size_t k = g * G + j;
            CompensatedAdd<kFusedAdds>(s[k], c[k], x(d, row + k * N));
          });
        }
      });
    }
    if (full < n) {
      last_row([&](std::size_t k, V term) SWITCHYARD_INLINE_LAMBDA { CompensatedAdd<kFusedAdds>(s[k], c[k], term); });
    }
    return FoldLanesCompensated(d, s, c);
  } else {
    if (h > 0) first_row([&](std::size_t k, V term) SWITCHYARD_INLINE_LAMBDA { s[k] = hn::Add(s[k], term); });
    std::size_t i = h;
    // Two rows a turn: the loop's own three instructions once per two rows
    // (a seventh fewer instructions per byte in the widening loop). In DRAM
    // the widening loop is held back by how many bytes its instructions in
    // flight reach ahead, and this took the default's time over fast's on
    // one thread from 1.20 to 1.05 (medians of twelve alternating runs;
    // docs/PERF.md, "Two rows a turn"). Four rows a turn was slower. Most
    // of what was left went with touching each page ahead (stream-inl.h).
    // On Zen 5 this turn's exact instructions matter: GCC 12 keeps the
    // previous turn's index here (two register moves a turn), and the fast
    // sum reads 512 KiB from L2 in 2.4 us; rewritten to the hand-written
    // loop's twelve instructions it took 4.7 us, though it ran 2-5% faster
    // from DRAM (docs/PERF.md, "A turn's instructions"). Measure both
    // before changing its shape.
    auto add_row = [&](std::size_t row) SWITCHYARD_INLINE_LAMBDA {
      ForEachVector<K>([&](auto k) SWITCHYARD_INLINE_LAMBDA { s[k] = AddTerm<A, In, kFusedAdds>(d, s[k], x, row + k * N); });
    };
    while (i + 2 * L <= full) {
      for (const std::size_t stop = RunOfTurns(i, full, 2 * L, in); i < stop; i += 2 * L) {
        add_row(i);
        add_row(i + L);
      }
    }
    for (; i < full; i += L) add_row(i);
    if (full < n) {
      last_row([&](std::size_t k, V term) SWITCHYARD_INLINE_LAMBDA { s[k] = hn::Add(s[k], term); });
    }
    return FoldLanesPlain(d, s);
  }
}

/// LayoutSum in the mode a call gives. The compensated step in double
/// lanes adds as this CPU's tuning says (cpu_tuning.hpp, add_form) on AVX2
/// and AVX-512 (the plain form is the one Zen 1 runs; on the wider targets
/// it is what the tuning check measures fused against: bench/tuning_check.hpp);
/// the older targets, fused where they have FMA.
template <class A, bool kToL2, class In, template <class> class X>
HWY_INLINE kernels::sum_partial<A> LayoutSumIn(accuracy mode, X<In> x, std::size_t n) {
  if (mode == accuracy::fast) return LayoutSum<A, kToL2, accuracy::fast>(x, n);
  if (mode == accuracy::pairwise) return LayoutSum<A, kToL2, accuracy::pairwise>(x, n);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  if constexpr (std::is_same_v<A, double>) {
    if (cpu_tuning_in_use().adds == add_form::plain) return LayoutSum<A, kToL2, accuracy::compensated, false>(x, n);
  }
#endif
  return LayoutSum<A, kToL2, accuracy::compensated>(x, n);
}

/// f(std::bool_constant<kToL2>) for a float sum's chunk: its touches reach
/// into L2 on a long stream (stream-inl.h, Stream's kToL2). Compiled both
/// ways only for AVX2 and AVX-512, the targets an Intel core that reads
/// every line ahead runs (any since 2013); the older targets' loops once.
template <class In, class F>
HWY_INLINE decltype(auto) WithSumTouches(std::size_t n, std::size_t stream, F&& f) {
#if HWY_TARGET <= HWY_AVX2
  return WithStreamLength<In>(n, stream, f);
#else
  (void)n;
  (void)stream;
  return f(std::false_type{});
#endif
}

/// The widened sum (double lanes, fast mode: the default float sum's) of the
/// terms x gives. A plain sum's terms are added as this CPU's tuning says
/// (cpu_tuning.hpp, add_form) on AVX2 and AVX-512, as LayoutSumIn's
/// compensated step is; every other target and transform, fused: the plain
/// form's loop is compiled where a tuning may ask for it, not on every
/// target.
template <bool kToL2, class T, template <class> class X>
HWY_INLINE kernels::sum_partial<double> WidenedSum(X<T> x, std::size_t n) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  if constexpr (std::is_same_v<X<T>, Plain<T>>) {
    if (cpu_tuning_in_use().adds == add_form::plain) return LayoutSum<double, kToL2, accuracy::fast, false>(x, n);
  }
#endif
  return LayoutSum<double, kToL2, accuracy::fast>(x, n);
}

/// FloatSum's every case: in double lanes where the mode widens, its
/// touches into L2 on a long stream.
template <class T, template <class> class X>
HWY_NOINLINE kernels::sum_partial_t<T> AnyFloatSum(X<T> x, std::size_t n, accuracy mode, std::size_t stream) {
  return WithSumTouches<T>(n, stream, [&](auto to_l2) -> kernels::sum_partial_t<T> {
    constexpr bool kToL2 = decltype(to_l2)::value;
    if (kernels::widened<T>(mode)) return kernels::narrowed<T>(WidenedSum<kToL2>(x, n));
    return LayoutSumIn<T, kToL2>(mode, x, n);
  });
}

/// A floating-point sum of the terms x gives (Plain, Products or Squares of
/// T). `stream` is how long the input the chunk is part of runs on from the
/// chunk (n for a call of its own). Shorter than a chunk (never a long
/// stream) and in T's own lanes, it is LayoutSum at once, a tail call: the
/// other cases' calls (the CPU's tuning, the widening) left this entry
/// saving five registers and making a frame at every call. Each entry point
/// calls this directly (reduce_kernels.cpp): through one more inlined
/// function between them (SumOf, which chose the float or integer kernel)
/// GCC 12 made no tail call and moved each partial through general
/// registers.
template <class T, template <class> class X>
kernels::sum_partial_t<T> FloatSum(X<T> x, std::size_t n, accuracy mode, std::size_t stream) {
  if (n < kernels::chunk_elements && !kernels::widened<T>(mode)) return LayoutSumIn<T, false>(mode, x, n);
  return AnyFloatSum(x, n, mode, stream);
}

/// Squares summed in double lanes (norm2). float and int32 widen in vector
/// registers; uint8 and int64 have no direct widening to double before
/// AVX-512, so they use the scalar reference loop (the same bits).
template <class In>
kernels::sum_partial<double> WideSquaresOf(const In* x, std::size_t n, accuracy mode, std::size_t stream) {
  if constexpr (std::is_same_v<In, float> || std::is_same_v<In, std::int32_t>) {
    return WithSumTouches<In>(n, stream, [&](auto to_l2) {
      return LayoutSumIn<double, decltype(to_l2)::value>(kernels::double_lane_mode<In>(mode), Squares<In>{x}, n);
    });
  } else {
    return scalar::sum_of_squares_wide(x, n, mode, stream);
  }
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
