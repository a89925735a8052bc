// The accuracy modes on inputs built to defeat naive summation, with the
// error of each mode asserted against what its layout guarantees. The
// backends that run the SIMD kernels in this process run each case on every
// SIMD target compiled in.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "support/backends.hpp"
#include "support/simd_targets.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;

namespace {

class Accuracy : public st::backend_suite {
 protected:
  /// Runs check once per SIMD target where the backend runs the SIMD kernels
  /// here (simd, threads), else once.
  void on_every_target(const std::function<void()>& check) {
    if (GetParam() != sy::backend::simd && GetParam() != sy::backend::threads) return check();
    st::on_every_simd_target([&](auto) { check(); });
  }
};

// 1e8f then a million 1.0f: the exact sum, 101'000'000, is a float (a
// multiple of 8, the spacing there). A naive float loop adds nothing after the
// first element, since 1e8f + 1 rounds back to 1e8f.
TEST_P(Accuracy, BigThenManyOnesInFloat) {
  std::vector<float> v(1'000'001, 1.0f);
  v[0] = 1e8f;
  const float naive = std::accumulate(v.begin(), v.end(), 0.0f);
  ASSERT_EQ(naive, 1e8f);
  const double exact = 101'000'000.0;
  auto error = [&](sy::accuracy a) {
    return std::abs(double(sy::sum(v, {.backend = GetParam(), .accuracy = a})) - exact);
  };
  on_every_target([&] {
    // compensated (the default) recovers every lost unit.
    EXPECT_EQ(std::abs(double(sy::sum(v, {.backend = GetParam()})) - exact), 0.0);
    EXPECT_EQ(error(sy::accuracy::compensated), 0.0);
    // pairwise: lane 0 of the first leaf loses at most its 15 other ones; each
    // of the at most 15 tree levels above rounds by at most 4 (half of 8).
    EXPECT_LE(error(sy::accuracy::pairwise), 15 + 15 * 4);
    // fast: lane 0 loses at most the 1023 other ones of its chunk, plus rounding.
    EXPECT_LE(error(sy::accuracy::fast), 1023 + 15 * 4);
    EXPECT_LT(error(sy::accuracy::fast), (exact - naive) / 900);
  });
}

// 2^24 then a million ones in float: 2^24 + 1 is the first integer a float
// cannot hold, so every one added alone rounds away (ties to even). The exact
// sum, 17'777'216, is even: a float.
TEST_P(Accuracy, TwoToThe24ThenOnesInFloat) {
  std::vector<float> v(1'000'001, 1.0f);
  v[0] = 0x1p24f;
  ASSERT_EQ(std::accumulate(v.begin(), v.end(), 0.0f), 0x1p24f);
  const double exact = 16'777'216.0 + 1'000'000.0;
  auto error = [&](sy::accuracy a) {
    return std::abs(double(sy::sum(v, {.backend = GetParam(), .accuracy = a})) - exact);
  };
  on_every_target([&] {
    EXPECT_EQ(error(sy::accuracy::compensated), 0.0);
    // pairwise: lane 0 of the first leaf loses its 15 other ones; each of
    // the at most 15 tree levels above rounds by at most 1 (half of 2).
    EXPECT_LE(error(sy::accuracy::pairwise), 15 + 15);
    EXPECT_LE(error(sy::accuracy::fast), 1023 + 15);
  });
}

// The same in double, with 1e16 (spacing 2).
TEST_P(Accuracy, BigThenManyOnesInDouble) {
  std::vector<double> v(1'000'001, 1.0);
  v[0] = 1e16;
  ASSERT_EQ(std::accumulate(v.begin(), v.end(), 0.0), 1e16);
  on_every_target([&] { EXPECT_EQ(sy::sum(v, {.backend = GetParam()}), 1e16 + 1e6); });
}

// Catastrophic cancellation: big terms that cancel exactly around small ones.
// Only compensated summation keeps the small ones; pairwise loses them in
// the leaves (1e7 + 0.25 rounds to 1e7 in float), which the last check shows
// the input does, on the serial backend: pairwise promises a bound, not the
// loss, and the GPU runs it compensated (its threads have no tree to add in).
TEST_P(Accuracy, CancellationKeepsTheSmallTerms) {
  std::vector<float> v;
  std::vector<double> d;
  for (int i = 0; i < 100'000; ++i) {
    for (const float x : {1e7f, 0.25f, -1e7f}) {
      v.push_back(x);
      d.push_back(x);
    }
  }
  on_every_target([&] {
    EXPECT_EQ(sy::sum(v, {.backend = GetParam()}), 25'000.0f);
    EXPECT_EQ(sy::dot(v, std::vector<float>(v.size(), 1.0f), {.backend = GetParam()}), 25'000.0f);
    EXPECT_EQ(sy::sum(d, {.backend = GetParam()}), 25'000.0);
  });
  EXPECT_NE(sy::sum(v, {.backend = sy::backend::serial, .accuracy = sy::accuracy::pairwise}), 25'000.0f);
}

// norm2 of floats adds the squares in double lanes in every mode. 2^20 then
// a million ones: the squares, 2^40 and ones, are integers a double holds,
// so every mode's sum is exact and the norm is the float nearest
// sqrt(2^40 + 10^6) = 1048576.477 (floats there are 0.125 apart: 1048576.5).
// Squares added in float would lose every one (2^40 + 1 rounds back to 2^40).
TEST_P(Accuracy, Norm2OfFloatsSumsTheSquaresInDouble) {
  std::vector<float> v(1'000'001, 1.0f);
  v[0] = 0x1p20f;
  const auto exact = static_cast<float>(std::sqrt(0x1p40 + 1e6));
  ASSERT_EQ(exact, 1048576.5f);
  on_every_target([&] {
    EXPECT_EQ(sy::norm2(v, {.backend = GetParam()}), exact);
    for (const auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
      EXPECT_EQ(sy::norm2(v, {.backend = GetParam(), .accuracy = a}), exact) << sy::to_string(a);
    }
  });
}

TEST(Accuracy, DefaultIsCompensated) {
  EXPECT_EQ(sy::options{}.accuracy, sy::accuracy::compensated);
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, Accuracy, ::testing::ValuesIn(st::every_backend()),
                         st::backend_name);

}  // namespace
