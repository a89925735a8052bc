// Per-target Highway kernels for sums: sum, dot, sum_of_squares. Floating-point
// sums follow kernels/common/sum_layout.hpp (the same bits on every target);
// integer sums accumulate in 64-bit lanes and wrap. Compiled once per target
// by reduce_kernels.cpp through hwy/foreach_target.h.
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

#include <hwy/highway.h>
#include <switchyard/options.hpp>

#include "kernels/common/alignment.hpp"
#include "kernels/common/partials.hpp"
#include "kernels/common/sum_layout.hpp"
#include "kernels/scalar/reduce_scalar.hpp"
#include "kernels/simd/fold-inl.h"
#include "kernels/simd/stream-inl.h"

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

// The three element transforms a float sum runs over. Each knows how to point
// itself at zero-padded copies of a last partial row.
template <class In>
struct Plain {
  const In* a;
  template <class D>
  HWY_INLINE hn::Vec<D> operator()(D d, std::size_t i) const { return LoadAs(d, a + i); }
  template <class D>
  HWY_INLINE hn::Vec<D> FusedAdd(D d, hn::Vec<D> acc, std::size_t i) const {
    return hn::MulAdd(LoadAs(d, a + i), hn::Set(d, hn::TFromD<D>(1)), acc);
  }
  Plain Rebased(const In* pa, const In*) const { return {pa}; }
  static constexpr int kInputs = 1;
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
  HWY_INLINE hn::Vec<D> FusedAdd(D d, hn::Vec<D> acc, std::size_t i) const {
    const auto v = LoadAs(d, a + i);
    return hn::MulAdd(v, v, acc);
  }
  Squares Rebased(const In* pa, const In*) const { return {pa}; }
  static constexpr int kInputs = 1;
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
  HWY_INLINE hn::Vec<D> FusedAdd(D d, hn::Vec<D> acc, std::size_t i) const {
    return hn::MulAdd(LoadAs(d, a + i), LoadAs(d, b + i), acc);
  }
  Products Rebased(const In* pa, const In* pb) const { return {pa, pb}; }
  static constexpr int kInputs = 2;
};

/// kernels::neumaier_add on vectors, lane by lane.
template <class V>
HWY_INLINE void NeumaierAdd(V& s, V& c, V x) {
  const V t = hn::Add(s, x);
  const auto s_bigger = hn::Ge(hn::Abs(s), hn::Abs(x));
  const V e = hn::IfThenElse(s_bigger, hn::Add(hn::Sub(s, t), x), hn::Add(hn::Sub(x, t), s));
  c = hn::Add(c, e);
  s = t;
}

/// acc + x(d, i), lane by lane. Where every term is exact in A (float
/// input in double lanes: an element, or the product of two, has at most
/// 48 significant bits) the multiply-add rounds once, as the add does, so it
/// gives the same bits (the determinism suite compares every target with the
/// scalar kernel's adds); and it runs on the FMA pipes, leaving the add pipes
/// to the widening conversions, which shared them: on Zen 5 the default
/// float sum in L2 went from 2.2x to 1.9-2.0x fast's time (docs/PERF.md,
/// "The widening's adds on the FMA pipes").
template <class A, class In, class X, class D>
HWY_INLINE hn::Vec<D> AddTerm(D d, hn::Vec<D> acc, const X& x, std::size_t i) {
  if constexpr (std::is_same_v<A, double> && std::is_same_v<In, float>) {
    return x.FusedAdd(d, acc, i);
  } else {
    return hn::Add(acc, x(d, i));
  }
}

/// kernels::fold_lanes with the levels at least a vector wide done in
/// vectors (combine(), lane by lane: the same bits), the rest as there. Of
/// a short sum's fixed cost this was most: 63 scalar combines.
template <class D, class A = hn::TFromD<D>>
HWY_INLINE kernels::sum_partial<A> FoldLanes(D d, A* s, A* c) {
  using V = hn::Vec<D>;
  constexpr std::size_t N = hn::MaxLanes(d);
  std::size_t w = lanes<A> / 2;
  for (; w >= N; w /= 2) {
    for (std::size_t j = 0; j < w; j += N) {
      const V ls = hn::Load(d, s + j), rs = hn::Load(d, s + j + w);
      const V t = hn::Add(ls, rs);
      const auto left_bigger = hn::Ge(hn::Abs(ls), hn::Abs(rs));
      const V err = hn::IfThenElse(left_bigger, hn::Add(hn::Sub(ls, t), rs), hn::Add(hn::Sub(rs, t), ls));
      hn::Store(t, d, s + j);
      hn::Store(hn::Add(hn::Add(hn::Load(d, c + j), hn::Load(d, c + j + w)), err), d, c + j);
    }
  }
  return kernels::fold_lanes(s, c, w);
}

/// fast's fold (kernels::fold_lanes_plain): between the K accumulators, then
/// within the last vector, all in registers. A 1 KiB sum spent a third of its
/// kernel's time storing that vector and folding its lanes one by one.
template <class D, std::size_t K, class A = hn::TFromD<D>>
HWY_INLINE kernels::sum_partial<A> FoldLanesPlain(D d, hn::Vec<D> (&s)[K]) {
  for (std::size_t k = K / 2; k >= 1; k /= 2) {
    for (std::size_t j = 0; j < k; ++j) s[j] = hn::Add(s[j], s[j + k]);
  }
  return {FoldHalves(d, s[0], [](auto a, auto b) { return hn::Add(a, b); }), A(0)};
}

/// Where a sum's rows start: at x's first cache-line boundary
/// (kernels/common/alignment.hpp) when the input is long enough to repay the
/// first row's padding: 8 KiB where the loads are whole vectors (A is In). A
/// widening sum loads half vectors, which split a line half as often; on the
/// Zen 5 guest measured a first row cost its 16 KiB sum 20% and saved
/// nothing, and from a whole chunk (65,536 elements) up it is a thousandth
/// of the work and measured neither way, so it starts at a line from there,
/// as every other sum does (docs/PERF.md, "Aligned rows").
template <class A, class In>
HWY_INLINE std::size_t AlignedStart(const In* a, std::size_t n) {
  constexpr std::size_t shortest = std::is_same_v<A, In> ? 8192 / sizeof(In) : 65536;
  return n < shortest ? 0 : kernels::elements_before_line(a);
}

/// Sums x(i) for i in [0, n) in the fixed lane layout; A is the accumulator
/// type, In the element type read.
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
template <class A, class In, template <class> class X>
kernels::sum_partial<A> LayoutSum(const X<In>& x, std::size_t n, accuracy mode) {
  const hn::ScalableTag<A> d;
  using V = hn::Vec<decltype(d)>;
  constexpr std::size_t N = hn::MaxLanes(d);
  constexpr std::size_t L = lanes<A>;
  constexpr std::size_t K = L / N;  // vector accumulators per lane set
  static_assert(L % N == 0, "the virtual lane count must be a multiple of the vector width");

  const std::size_t h = mode == accuracy::pairwise ? 0 : AlignedStart<A>(x.a, n);
  const auto in = Stream<In>::Of(n, x.a, x.b);
  const std::size_t full = h + (n - h) / L * L;  // rows [h + r L, h + (r + 1) L) are whole

  // The last partial row's whole vectors are read in place; its last,
  // partial vector and the first row (when rows start at h) are windows on
  // zero-padded copies: reading past either end is never safe, and +0.0
  // padding changes no bit (sum_layout.hpp). Each copy is of a fixed size,
  // a few vector moves; only a sum shorter than a vector copies by element.
  // The first row's h elements fill at most its last 64 bytes (head_size
  // elements): only the vectors there are added (the others are all +0.0),
  // as only the last row's vectors holding elements are.
  constexpr std::size_t head_size = std::max<std::size_t>(64 / sizeof(In), N);
  constexpr std::size_t head_k = (L - head_size) / N;  // the first vector holding head elements
  const std::size_t tail_whole = (n - full) / N;       // the last row's whole vectors
  const std::size_t tail_part = (n - full) % N;        // and the elements after them
  alignas(64) In part_a[2 * N];
  alignas(64) In part_b[2 * N];
  alignas(64) In head_a[2 * head_size];
  alignas(64) In head_b[2 * head_size];
  // part_x[N - r, N) = from[n - r, n) and zeros after: the window from N - r.
  auto part_window = [n, tail_part](In* part_x, const In* from) {
    std::memset(part_x + N, 0, N * sizeof(In));
    if (n >= N) {
      std::memcpy(part_x, from + (n - N), N * sizeof(In));
    } else {
      std::memcpy(part_x + (N - tail_part), from + (n - tail_part), tail_part * sizeof(In));
    }
    return part_x + (N - tail_part);
  };
  // head_x[0, head_size) zeros, head_x[head_size, 2 head_size) = from's
  // first elements: the window from h ends in its h elements.
  auto head_window = [h](In* head_x, const In* from) {
    std::memset(head_x, 0, head_size * sizeof(In));
    std::memcpy(head_x + head_size, from, head_size * sizeof(In));
    return head_x + h;
  };
  // x on window(buffer, input) for each of its inputs.
  auto windowed = [&x](auto window, In* buffer_a, In* buffer_b) {
    if constexpr (X<In>::kInputs == 2) {
      return x.Rebased(window(buffer_a, x.a), window(buffer_b, x.b));
    } else {
      (void)buffer_b;
      return x.Rebased(window(buffer_a, x.a), nullptr);
    }
  };
  const X<In> part = tail_part > 0 ? windowed(part_window, part_a, part_b) : x;
  // h > 0 only where n >= 8 KiB / sizeof(In): head_size elements are there to copy.
  const X<In> head = h > 0 ? windowed(head_window, head_a, head_b) : x;
  // Adds the last row's vectors that hold elements: add(k, transform, index).
  auto last_row = [&](auto&& add) {
    for (std::size_t k = 0; k < K; ++k) {  // K is a constant: the accumulators stay in registers
      if (k < tail_whole) {
        add(k, x, full + k * N);
      } else if (k == tail_whole && tail_part > 0) {
        add(k, part, std::size_t{0});
      }
    }
  };

  V s[K];
  V c[K];
  for (std::size_t k = 0; k < K; ++k) s[k] = c[k] = hn::Zero(d);
  alignas(64) A lane_s[L];
  alignas(64) A lane_c[L];

  if (mode == accuracy::pairwise) {
    pairwise_stack<A> stack;
    for (std::size_t leaf = 0; leaf < n; leaf += leaf_rows * L) {
      V t[K];
      for (std::size_t k = 0; k < K; ++k) t[k] = hn::Zero(d);
      const std::size_t end = std::min(n, leaf + leaf_rows * L);
      std::size_t i = leaf;
      while (i + L <= end) {
        for (const std::size_t stop = PageOfTurns(i, end, L, in); i < stop; i += L) {
          for (std::size_t k = 0; k < K; ++k) t[k] = AddTerm<A, In>(d, t[k], x, i + k * N);
        }
      }
      if (i < end) {
        last_row([&](std::size_t k, const X<In>& from, std::size_t j) { t[k] = AddTerm<A, In>(d, t[k], from, j); });
      }
      for (std::size_t k = 0; k < K; ++k) hn::Store(t[k], d, lane_s + k * N);
      stack.push(lane_s);
    }
    stack.collapse(lane_s);
    std::memset(lane_c, 0, sizeof lane_c);  // pairwise leaves carry no compensation
    return FoldLanes(d, lane_s, lane_c);
  }
  if (mode == accuracy::compensated) {
    if (h > 0) {
      for (std::size_t k = head_k; k < K; ++k) NeumaierAdd(s[k], c[k], head(d, (k - head_k) * N));
    }
    for (std::size_t i = h; i < full;) {
      for (const std::size_t stop = PageOfTurns(i, full, L, in); i < stop; i += L) {
        for (std::size_t k = 0; k < K; ++k) NeumaierAdd(s[k], c[k], x(d, i + k * N));
      }
    }
    if (full < n) {
      last_row([&](std::size_t k, const X<In>& from, std::size_t j) { NeumaierAdd(s[k], c[k], from(d, j)); });
    }
  } else {
    if (h > 0) {
      for (std::size_t k = head_k; k < K; ++k) s[k] = AddTerm<A, In>(d, s[k], head, (k - head_k) * N);
    }
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
    while (i + 2 * L <= full) {
      for (const std::size_t stop = PageOfTurns(i, full, 2 * L, in); i < stop; i += 2 * L) {
        for (std::size_t k = 0; k < K; ++k) s[k] = AddTerm<A, In>(d, s[k], x, i + k * N);
        for (std::size_t k = 0; k < K; ++k) s[k] = AddTerm<A, In>(d, s[k], x, i + L + k * N);
      }
    }
    for (; i < full; i += L) {
      for (std::size_t k = 0; k < K; ++k) s[k] = AddTerm<A, In>(d, s[k], x, i + k * N);
    }
    if (full < n) {
      last_row([&](std::size_t k, const X<In>& from, std::size_t j) { s[k] = AddTerm<A, In>(d, s[k], from, j); });
    }
    return FoldLanesPlain(d, s);
  }
  for (std::size_t k = 0; k < K; ++k) {
    hn::Store(s[k], d, lane_s + k * N);
    hn::Store(c[k], d, lane_c + k * N);
  }
  return FoldLanes(d, lane_s, lane_c);
}

// ---- integers: 64-bit lanes, wrapping ----

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
      for (const std::size_t stop = PageOfTurns(i, n, 2 * N, in); i < stop; i += 2 * N) {
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
      for (const std::size_t stop = PageOfTurns(i, n, 2 * N, in); i < stop; i += 2 * N) {
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
      for (const std::size_t stop = PageOfTurns(i, n, N, in); i < stop; i += N) {
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

template <class T>
kernels::sum_partial_t<T> SumOf(const T* x, std::size_t n, accuracy mode) {
  if constexpr (std::is_floating_point_v<T>) {
    if (kernels::widened<T>(mode)) return kernels::narrowed<T>(LayoutSum<double>(Plain<T>{x}, n, accuracy::fast));
    return LayoutSum<T>(Plain<T>{x}, n, mode);
  } else {
    return IntSum(x, n);
  }
}

template <class T>
kernels::sum_partial_t<T> DotOf(const T* x, const T* y, std::size_t n, accuracy mode) {
  if constexpr (std::is_floating_point_v<T>) {
    if (kernels::widened<T>(mode)) return kernels::narrowed<T>(LayoutSum<double>(Products<T>{x, y}, n, accuracy::fast));
    return LayoutSum<T>(Products<T>{x, y}, n, mode);
  } else {
    return IntDot(x, y, n);
  }
}

template <class T>
kernels::sum_partial_t<T> SquaresOf(const T* x, std::size_t n, accuracy mode) {
  if constexpr (std::is_floating_point_v<T>) {
    if (kernels::widened<T>(mode)) return kernels::narrowed<T>(LayoutSum<double>(Squares<T>{x}, n, accuracy::fast));
    return LayoutSum<T>(Squares<T>{x}, n, mode);
  } else {
    return IntDot(x, x, n);
  }
}

/// Squares summed in double lanes (norm2). float and int32 widen in vector
/// registers; uint8 and int64 have no direct widening to double before
/// AVX-512, so they use the scalar reference loop (the same bits).
template <class In>
kernels::sum_partial<double> WideSquaresOf(const In* x, std::size_t n, accuracy mode) {
  if constexpr (std::is_same_v<In, float> || std::is_same_v<In, std::int32_t>) {
    return LayoutSum<double>(Squares<In>{x}, n, mode);
  } else {
    return scalar::sum_of_squares_wide(x, n, mode);
  }
}

}  // namespace switchyard::kernels::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
