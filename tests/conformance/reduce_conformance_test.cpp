// The conformance suite: what every backend promises for every op and element
// type, over sizes around vector, lane-row and chunk boundaries, misaligned
// starts and value patterns, against a long-double or exact reference.
// Instantiated for every backend available here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "support/backends.hpp"
#include "support/cache_lines.hpp"
#include "support/reference.hpp"
#include "support/sanitizers.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;

namespace {

template <class T>
std::vector<std::size_t> sizes() {
  constexpr std::size_t vector = 64 / sizeof(T);  // one AVX-512 vector
  constexpr std::size_t row = 256 / sizeof(T);    // one row of virtual lanes
  constexpr std::size_t chunk = std::size_t{1} << 16;
  std::vector<std::size_t> n = {0,       1,   2,       7,    15,        16,    17,       vector - 1, vector, vector + 1,
                                row - 1, row, row + 1, 1000, chunk - 1, chunk, chunk + 1};
  if constexpr (st::sanitized) {
    // What the sanitizers check at these sizes is memory and the workers'
    // sharing of a call's chunks: sixteen whole chunks and a partial one
    // show both as 48 do, at a third of the time (the threads suite was the
    // tsan stage's longest test, 164 s). The arithmetic of combining many
    // chunks is the release preset's, which runs both sizes below.
    n.push_back((std::size_t{1} << 20) + 5);
  } else {
    n.push_back(std::size_t{1} << 20);
    n.push_back((std::size_t{3} << 20) + 5);
  }
  return n;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
void expect_same_element(T got, T want, const char* what) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << what << ": want NaN, got " << got;
      return;
    }
  }
  EXPECT_TRUE(same_bits(got, want)) << what << ": want " << +want << ", got " << +got;
}

template <class T>
void expect_float_sum(T got, const st::reference_sum<T>& r, double factor, const char* what) {
  if (std::isnan(r.value)) {
    EXPECT_TRUE(std::isnan(got)) << what << ": want NaN, got " << got;
  } else if (std::isinf(r.value)) {
    EXPECT_EQ(got, static_cast<T>(r.value)) << what;
  } else {
    const long double tol = factor * std::numeric_limits<T>::epsilon() * r.magnitude +
                            std::numeric_limits<T>::min();
    EXPECT_LE(std::fabs(static_cast<long double>(got) - r.value), tol)
        << what << ": got " << got << ", want " << static_cast<double>(r.value);
  }
}

template <class T>
void check_sums(std::span<const T> v, std::span<const T> y, sy::backend b) {
  const sy::options o{.backend = b};
  if constexpr (std::is_floating_point_v<T>) {
    const auto r = st::reference<T>(v.size(), [&](std::size_t i) { return v[i]; });
    for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
      SCOPED_TRACE(std::string("accuracy ") + std::string(sy::to_string(a)));
      expect_float_sum<T>(sy::sum(v, {.backend = b, .accuracy = a}), r, st::error_factor(a), "sum");
    }
    const auto rd = st::reference<T>(v.size(), [&](std::size_t i) { return (long double)v[i] * y[i]; });
    expect_float_sum<T>(sy::dot(v, y, o), rd, st::error_factor(o.accuracy) + 1, "dot");
    const auto rs = st::reference<T>(v.size(), [&](std::size_t i) { return (long double)v[i] * v[i]; });
    expect_float_sum<T>(sy::sum_of_squares(v, o), rs, st::error_factor(o.accuracy) + 1, "sum_of_squares");
    const T norm = sy::norm2(v, o);
    const long double want = std::sqrt(rs.value);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(norm)) << "norm2";
    } else if (std::isinf(want)) {
      EXPECT_TRUE(std::isinf(norm)) << "norm2";
    } else {
      const long double tol = 4 * std::numeric_limits<T>::epsilon() * want + std::numeric_limits<T>::min();
      EXPECT_LE(std::fabs(static_cast<long double>(norm) - want), tol) << "norm2";
    }
  } else {
    auto wide = [](T x) { return static_cast<std::uint64_t>(static_cast<std::int64_t>(x)); };
    EXPECT_EQ(sy::sum(v, o), (st::reference<T>(v.size(), [&](std::size_t i) { return wide(v[i]); }).exact))
        << "sum";
    EXPECT_EQ(sy::dot(v, y, o),
              (st::reference<T>(v.size(), [&](std::size_t i) { return wide(v[i]) * wide(y[i]); }).exact))
        << "dot";
    EXPECT_EQ(sy::sum_of_squares(v, o),
              (st::reference<T>(v.size(), [&](std::size_t i) { return wide(v[i]) * wide(v[i]); }).exact))
        << "sum_of_squares";
    long double ss = 0;
    for (T x : v) ss += static_cast<long double>(x) * static_cast<long double>(x);
    const long double want = std::sqrt(ss);
    EXPECT_LE(std::fabs(static_cast<long double>(sy::norm2(v, o)) - want), 1e-12L * want) << "norm2";
  }
}

template <class T>
void check_extrema(std::span<const T> v, sy::backend b) {
  const sy::options o{.backend = b};
  const auto lo = st::reference_extremum<false>(v);
  const auto hi = st::reference_extremum<true>(v);
  const auto amin = sy::argmin(v, o);
  const auto amax = sy::argmax(v, o);
  const auto mn = sy::min(v, o);
  const auto mx = sy::max(v, o);
  const auto mm = sy::minmax(v, o);
  ASSERT_EQ(amin.has_value(), lo.has_value());
  ASSERT_EQ(amax.has_value(), hi.has_value());
  ASSERT_EQ(mn.has_value(), lo.has_value());
  ASSERT_EQ(mx.has_value(), hi.has_value());
  ASSERT_EQ(mm.has_value(), lo.has_value());
  if (!lo) return;
  EXPECT_EQ(amin->index, lo->index) << "argmin index";
  EXPECT_EQ(amax->index, hi->index) << "argmax index";
  expect_same_element(amin->value, lo->value, "argmin value");
  expect_same_element(amax->value, hi->value, "argmax value");
  expect_same_element(*mn, lo->value, "min");
  expect_same_element(*mx, hi->value, "max");
  const bool has_nan = lo->value != lo->value;
  expect_same_element(mm->min, lo->value, "minmax.min");
  expect_same_element(mm->max, has_nan ? lo->value : hi->value, "minmax.max");
}

template <class T>
void check_count(std::span<const T> v, sy::backend b) {
  const T pivot = v.empty() ? T(0) : v[v.size() / 2];
  for (auto pred : {sy::gt(T(0)), sy::le(pivot), sy::eq(pivot), sy::ne(pivot), sy::lt(pivot), sy::ge(pivot)}) {
    std::size_t want = 0;
    for (T x : v) want += pred(x) ? 1 : 0;
    EXPECT_EQ(sy::count_if(v, pred, {.backend = b}), want) << "count_if op " << int(pred.op);
  }
  if (b == sy::backend::serial || b == sy::backend::threads) {
    auto positive = [](T x) { return x > T(0); };
    EXPECT_EQ(sy::count_if(v, positive, {.backend = b}), sy::count_if(v, sy::gt(T(0)), {.backend = b}))
        << "count_if with a lambda";
  }
}

/// Test input in a std::vector or in a shared_array, allocated once per size
/// and refilled for every case: a fresh allocation of these sizes is fresh
/// pages, and on the build guests their faults were a third of the suite's
/// time. What lies outside the span is a value no reduction ignores (NaN,
/// or the type's largest), so a read past either end shows in the result.
template <class T>
struct buffer {
  buffer(std::size_t n, bool shared) {
    if (shared) {
      in_shared = sy::shared_array<T>(n);
      data = std::span<T>(in_shared.data(), n);
    } else {
      // 64-byte aligned as a shared_array is.
      in_vector.resize(n + 64 / sizeof(T));
      data = std::span<T>(st::first_line(in_vector), n);
    }
  }
  std::span<T> fill(std::size_t offset, std::size_t n, st::pattern p, std::uint64_t seed) {
    const T outside = std::numeric_limits<T>::has_quiet_NaN ? std::numeric_limits<T>::quiet_NaN()
                                                            : std::numeric_limits<T>::max();
    std::fill(data.begin(), data.begin() + offset, outside);
    std::fill(data.begin() + offset + n, data.end(), outside);
    const auto in = data.subspan(offset, n);
    st::fill_pattern(in, p, seed);
    return in;
  }
  std::vector<T> in_vector;
  sy::shared_array<T> in_shared;
  std::span<T> data;
};

template <class T>
void check_all(sy::backend b) {
  constexpr std::size_t max_offset = 3;
  for (std::size_t n : sizes<T>()) {
    // processes reads a shared_array in place and copies a vector: even
    // offsets test the one, odd the other.
    const bool processes = b == sy::backend::processes;
    buffer<T> x_vector(n + max_offset, false), y_vector(n + max_offset, false);
    std::optional<buffer<T>> x_shared, y_shared;
    if (processes) {
      x_shared.emplace(n + max_offset, true);
      y_shared.emplace(n + max_offset, true);
    }
    // Every misalignment where the start's handling shows (small sizes, chunk
    // boundaries); past a million elements aligned and misaligned by one,
    // which is what the combine of many chunks can differ by, at half the
    // time (under the sanitizers these sizes were most of CI's test time).
    const std::vector<std::size_t> offsets = n < (std::size_t{1} << 20) ? std::vector<std::size_t>{0, 1, 2, 3}
                                                                         : std::vector<std::size_t>{0, 1};
    for (std::size_t offset : offsets) {
      const bool shared = processes && offset % 2 == 0;
      buffer<T>& x = shared ? *x_shared : x_vector;
      buffer<T>& y = shared ? *y_shared : y_vector;
      for (st::pattern p : st::patterns_for<T>()) {
        SCOPED_TRACE("n=" + std::to_string(n) + " offset=" + std::to_string(offset) + " pattern=" + st::name(p));
        // The buffers start 64-byte aligned; offset elements into them, the
        // spans are misaligned.
        const std::span<const T> v = x.fill(offset, n, p, n * 31 + offset);
        const std::span<const T> w = y.fill(offset, n, st::pattern::random, n * 17 + offset + 1);
        check_sums<T>(v, w, b);
        check_extrema<T>(v, b);
        check_count<T>(v, b);
        if (::testing::Test::HasFailure()) return;  // one failing case says enough
      }
    }
  }
}

class Conformance : public st::backend_suite {};

TEST_P(Conformance, Float) { check_all<float>(GetParam()); }
TEST_P(Conformance, Double) { check_all<double>(GetParam()); }
TEST_P(Conformance, Int32) { check_all<std::int32_t>(GetParam()); }
TEST_P(Conformance, Int64) { check_all<std::int64_t>(GetParam()); }
TEST_P(Conformance, Uint8) { check_all<std::uint8_t>(GetParam()); }

INSTANTIATE_TEST_SUITE_P(EveryBackend, Conformance, ::testing::ValuesIn(st::every_backend()),
                         st::backend_name);

}  // namespace
