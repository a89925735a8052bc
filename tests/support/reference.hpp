// Test support: input patterns, an exact or long-double reference for every
// op, and the tolerances the floating-point sums are held to.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <switchyard/switchyard.hpp>

namespace switchyard::testing {

enum class pattern { random, all_equal, nan_first, nan_middle, nan_last, infinities, extreme_runs };

inline std::string name(pattern p) {
  switch (p) {
    case pattern::random: return "random";
    case pattern::all_equal: return "all_equal";
    case pattern::nan_first: return "nan_first";
    case pattern::nan_middle: return "nan_middle";
    case pattern::nan_last: return "nan_last";
    case pattern::infinities: return "infinities";
    case pattern::extreme_runs: return "extreme_runs";
  }
  return "?";
}

/// The patterns that mean something for T (NaN and inf only for floats).
template <class T>
std::vector<pattern> patterns_for() {
  if constexpr (std::is_floating_point_v<T>) {
    return {pattern::random, pattern::all_equal, pattern::nan_first, pattern::nan_middle,
            pattern::nan_last, pattern::infinities};
  } else {
    return {pattern::random, pattern::all_equal, pattern::extreme_runs};
  }
}

/// Fills out with values from a seeded mt19937_64: floats uniform in [-1, 1)
/// on the type's whole mantissa grid, integers over the type's whole range.
/// Taken from the engine's bits directly: std::uniform_real_distribution
/// computes a logarithm per value where the optimizer does not fold it (the
/// sanitizer builds' -O1), which was half of the conformance suite's time.
template <class T>
void fill_random(std::span<T> out, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (auto& x : out) {
    if constexpr (std::is_floating_point_v<T>) {
      constexpr int bits = std::numeric_limits<T>::digits;
      const T unit = static_cast<T>(rng() >> (64 - bits)) * (T(1) / static_cast<T>(std::uint64_t{1} << bits));
      x = 2 * unit - 1;  // exact: both steps stay on the grid
    } else {
      x = static_cast<T>(rng() >> (64 - 8 * sizeof(T)));
    }
  }
}

/// Fills out with pattern p over random values (fill_random's).
template <class T>
void fill_pattern(std::span<T> out, pattern p, std::uint64_t seed) {
  fill_random(out, seed);
  const std::size_t n = out.size();
  if (n == 0) return;
  auto& v = out;
  switch (p) {
    case pattern::random: break;
    case pattern::all_equal: std::fill(v.begin(), v.end(), v[0]); break;
    case pattern::nan_first: v[0] = std::numeric_limits<T>::quiet_NaN(); break;
    case pattern::nan_middle: v[n / 2] = std::numeric_limits<T>::quiet_NaN(); break;
    case pattern::nan_last: v[n - 1] = std::numeric_limits<T>::quiet_NaN(); break;
    case pattern::infinities:
      v[n / 3] = std::numeric_limits<T>::infinity();
      v[2 * n / 3] = -std::numeric_limits<T>::infinity();  // the same slot when n < 3: only -inf
      break;
    case pattern::extreme_runs:
      // Runs of the largest and the smallest value, 100 long, alternating.
      for (std::size_t i = 0; i < n; ++i) {
        v[i] = (i / 100) % 2 == 0 ? std::numeric_limits<T>::max() : std::numeric_limits<T>::min();
      }
      break;
  }
}

template <class T>
std::vector<T> random_values(std::size_t n, std::uint64_t seed) {
  std::vector<T> v(n);
  fill_random(std::span<T>(v), seed);
  return v;
}

template <class T>
std::vector<T> make_pattern(pattern p, std::size_t n, std::uint64_t seed) {
  std::vector<T> v(n);
  fill_pattern(std::span<T>(v), p, seed);
  return v;
}

/// Reference sums: Neumaier summation in long double for floats (a plain
/// long-double loop is not enough: 2^20 equal doubles drift by ~30 double
/// ulps), wrapping uint64 for integers; with the sum of magnitudes for
/// tolerances. NaN and infinities are noted, not added: on the Intel Xeon
/// build guests an x87 step with such an operand costs ~100x a finite one
/// (~450 ns an element against 3.6), which made the conformance suite 8x
/// slower there than on AMD.
template <class T>
struct reference_sum {
  long double value = 0;
  long double magnitude = 0;
  std::int64_t exact = 0;
};

template <class T, class Load>
reference_sum<T> reference(std::size_t n, Load load) {
  reference_sum<T> r;
  std::uint64_t wrapped = 0;
  long double compensation = 0;
  bool nan = false, plus_infinity = false, minus_infinity = false;
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      const long double x = load(i);
      if (!std::isfinite(x)) {
        nan = nan || std::isnan(x);
        plus_infinity = plus_infinity || x > 0;
        minus_infinity = minus_infinity || x < 0;
        continue;
      }
      const long double t = r.value + x;
      compensation += std::fabs(r.value) >= std::fabs(x) ? (r.value - t) + x : (x - t) + r.value;
      r.value = t;
      r.magnitude += std::fabs(x);
    } else {
      wrapped += load(i);
    }
  }
  r.value += compensation;
  if (nan || (plus_infinity && minus_infinity)) {
    r.value = r.magnitude = std::numeric_limits<long double>::quiet_NaN();
  } else if (plus_infinity || minus_infinity) {
    r.value = plus_infinity ? std::numeric_limits<long double>::infinity() : -std::numeric_limits<long double>::infinity();
    r.magnitude = std::numeric_limits<long double>::infinity();
  }
  r.exact = static_cast<std::int64_t>(wrapped);
  return r;
}

/// The bound on |computed - exact| / (eps * sum |x_i|) for each accuracy mode,
/// from the layout in kernels/common/sum_layout.hpp: fast adds up to
/// 65536 / 32 = 2048 terms per lane in sequence; pairwise at most 16 per leaf
/// then tree levels; compensated a small constant. 64 more covers the lane fold
/// and the chunk tree for any n below 2^64.
inline double error_factor(accuracy a) {
  switch (a) {
    case accuracy::fast: return 2048 + 64;
    case accuracy::pairwise: return 16 + 64;
    case accuracy::compensated: return 4;
  }
  return 0;
}

/// The reference argmin / argmax: first NaN, else the strictly best value,
/// ties to the lowest index.
template <bool kMax, class T>
std::optional<indexed<T>> reference_extremum(std::span<const T> v) {
  if (v.empty()) return std::nullopt;
  indexed<T> best{v[0], 0};
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != v[i]) return indexed<T>{v[i], i};
    if (kMax ? v[i] > best.value : v[i] < best.value) best = {v[i], i};
  }
  return best;
}

}  // namespace switchyard::testing
