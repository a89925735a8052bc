// The fixed layout of floating-point sums inside one chunk. It is the
// definition that makes results bitwise identical across backends, thread
// counts and SIMD targets (SSE4, AVX2, AVX-512, NEON alike):
//
// - element i of the chunk belongs to virtual lane i % L, L = 256 bytes of
//   accumulators (64 floats, 32 doubles), however wide the real vectors are;
//   a target with N-lane vectors keeps L / N vector accumulators;
// - rows of L elements are added lane by lane in order; a last partial row is
//   padded with +0.0, which changes no bit (a lane sum is never -0.0);
// - fast: one running sum per lane over the chunk;
//   compensated: a Neumaier (sum, compensation) pair per lane, except over
//   float: there each term (element or product, exact in double) joins a
//   plain running sum in double lanes, L = 32, folded as fast folds; the
//   29 bits double has beyond float are the compensation (widened() below);
//   pairwise: leaves of 16 rows summed per lane, leaves merged in the fixed
//   binary-counter tree (left + right, lane by lane);
// - the L lanes fold in a fixed tree (lane j with lane j + w, for
//   w = L/2, ..., 1): with Neumaier's combine, except in fast, where a plain
//   add is what the mode promises and the combine's error terms were half
//   of a short sum's cost.
//
// Where a lane sits in the registers is the kernel's choice: the SIMD
// kernels read rows from the input's first cache-line boundary, so lane j
// sits h positions along (kernels/simd/sum-inl.h, LayoutSum). Each lane adds
// the same terms in the same order, and the fold's adds and combine() are
// commutative to the bit, so the result does not depend on where the input
// starts (tests/core/determinism_test.cpp, EveryAlignmentGivesTheSameBits).
//
// 256 bytes: on AVX-512 that is 4 accumulators, on AVX2 8, enough to hide the
// 4-cycle add latency on two ports at L1/L2 speeds (see docs/PERF.md).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include <switchyard/options.hpp>

#include "kernels/common/partials.hpp"

namespace switchyard::kernels {

template <class A>
inline constexpr std::size_t lanes = 256 / sizeof(A);

inline constexpr std::size_t leaf_rows = 16;

/// Depth of the pairwise stack: 2^40 leaves is more than any chunk.
inline constexpr std::size_t pairwise_depth = 40;

/// One compensated step (Neumaier): the exact rounding error of s + x joins c.
/// The scalar kernels' step and the CUDA kernels'. The SIMD kernels find the
/// same exact error another way where it runs faster (kernels/simd/sum-inl.h,
/// CompensatedAdd: TwoSum with three of its adds as multiply-adds), so the
/// bits are the same: any exact method finds the one error.
template <class A>
SWITCHYARD_HOST_DEVICE constexpr void neumaier_add(A& s, A& c, A x) noexcept {
  const A t = s + x;
  const A e = std::abs(s) >= std::abs(x) ? (s - t) + x : (x - t) + s;
  c = c + e;
  s = t;
}

/// Whether a chunk of T in `mode` is summed in double lanes: float in the
/// compensated mode. A lane then adds at most 65536 / 32 = 2048 terms, each
/// exact in double (a float, or the product of two), and the fold 5 more, so
/// the chunk's error is below 2^-42 of the sum of magnitudes, where Neumaier
/// in float lanes leaves about 2^-35; and it costs a widening and an add per
/// term instead of Neumaier's ten operations, which did not keep up with
/// memory on Zen 3 or Zen 5 (docs/PERF.md, "The default accuracy in double
/// lanes").
template <class T>
constexpr bool widened(accuracy mode) noexcept {
  return std::is_same_v<T, float> && mode == accuracy::compensated;
}

/// The mode in which double lanes add terms made from T: plain adds where
/// the lanes are a widened sum's (their extra bits are the compensation),
/// `mode` otherwise. norm2 sums float squares in double lanes in every mode,
/// so its compensated mode is the widened sum, as sum's and dot's are.
template <class T>
constexpr accuracy double_lane_mode(accuracy mode) noexcept {
  return widened<T>(mode) ? accuracy::fast : mode;
}

/// A widened chunk's double partial as the float pair every other float
/// partial is (hi its value rounded to float, lo the rest rounded), so that
/// chunks combine as before. Beyond float's range hi is the infinity IEEE
/// rounding gives, written out since converting such a double is undefined.
/// For T = double (never widened) the partial as it is, so that callers need
/// no compile-time branch.
template <class T>
sum_partial<T> narrowed(const sum_partial<double>& p) noexcept {
  if constexpr (std::is_same_v<T, double>) {
    return p;
  } else {
    constexpr double overflow = 0x1.ffffffp127;  // halfway to 2^128: rounds to inf
    constexpr float inf = std::numeric_limits<float>::infinity();
    const double v = finish(p);
    if (std::isfinite(v) && std::abs(v) >= overflow) return {v > 0 ? inf : -inf, 0.0f};
    const float hi = static_cast<float>(v);
    if (!std::isfinite(hi)) return {hi, 0.0f};
    return {hi, static_cast<float>(v - static_cast<double>(hi))};
  }
}

/// Folds L lane pairs (s, c) into one partial in the fixed tree, in place,
/// from level `width` down (lane j with lane j + w for w = width, ..., 1).
/// A SIMD kernel folds the wide levels itself, a vector of lanes at a time
/// (kernels/simd/sum_fold-inl.h: FoldLanes): every lane meets the same partner
/// through the same operations, so the bits are the same.
template <class A>
sum_partial<A> fold_lanes(A* s, A* c, std::size_t width = lanes<A> / 2) noexcept {
  for (std::size_t w = width; w >= 1; w /= 2) {
    for (std::size_t j = 0; j < w; ++j) {
      const sum_partial<A> p = combine(sum_partial<A>{s[j], c[j]}, sum_partial<A>{s[j + w], c[j + w]});
      s[j] = p.hi;
      c[j] = p.lo;
    }
  }
  return {s[0], c[0]};
}

/// fast's fold: the same tree with plain adds, in place (the SIMD kernels
/// fold in registers: kernels/simd/sum_fold-inl.h, FoldLanesPlain).
template <class A>
sum_partial<A> fold_lanes_plain(A* s) noexcept {
  for (std::size_t w = lanes<A> / 2; w >= 1; w /= 2) {
    for (std::size_t j = 0; j < w; ++j) s[j] = s[j] + s[j + w];
  }
  return {s[0], A(0)};
}

/// The pairwise leaf stack: each leaf's L lane sums are written into
/// next_leaf() and pushed, merging equal-sized neighbours (a binary
/// counter), then collapse() into one lane vector.
template <class A>
class pairwise_stack {
 public:
  /// Where the next leaf's L lane sums are written (64-byte aligned), before
  /// push_leaf(): in place, not copied in.
  A* next_leaf() noexcept { return slots_[depth_]; }
  void push_leaf() noexcept {
    ++depth_;
    ++leaves_;
    for (std::size_t k = leaves_; (k & 1) == 0; k >>= 1) merge_top();
  }
  /// Merges what is left, right into left; writes the lane sums to out.
  void collapse(A* out) noexcept {
    while (depth_ > 1) merge_top();
    for (std::size_t j = 0; j < lanes<A>; ++j) out[j] = depth_ == 1 ? slots_[0][j] : A(0);
  }

 private:
  void merge_top() noexcept {
    A* left = slots_[depth_ - 2];
    const A* right = slots_[depth_ - 1];
    for (std::size_t j = 0; j < lanes<A>; ++j) left[j] = left[j] + right[j];
    --depth_;
  }
  alignas(64) A slots_[pairwise_depth][lanes<A>];
  std::size_t depth_ = 0;
  std::size_t leaves_ = 0;
};

}  // namespace switchyard::kernels
