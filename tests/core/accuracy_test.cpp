// The accuracy modes on inputs built to defeat naive summation, with the
// error of each mode asserted against what its layout guarantees.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "support/backends.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;

namespace {

class Accuracy : public st::backend_suite {};

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
  // compensated recovers every lost unit.
  EXPECT_EQ(error(sy::accuracy::compensated), 0.0);
  // pairwise: lane 0 of the first leaf loses at most its 15 other ones; each
  // of the at most 15 tree levels above rounds by at most 4 (half of 8).
  EXPECT_LE(error(sy::accuracy::pairwise), 15 + 15 * 4);
  // fast: lane 0 loses at most the 1023 other ones of its chunk, plus rounding.
  EXPECT_LE(error(sy::accuracy::fast), 1023 + 15 * 4);
  EXPECT_LT(error(sy::accuracy::fast), (exact - naive) / 900);
}

// The same in double, with 1e16 (spacing 2).
TEST_P(Accuracy, BigThenManyOnesInDouble) {
  std::vector<double> v(1'000'001, 1.0);
  v[0] = 1e16;
  ASSERT_EQ(std::accumulate(v.begin(), v.end(), 0.0), 1e16);
  const auto got = sy::sum(v, {.backend = GetParam(), .accuracy = sy::accuracy::compensated});
  EXPECT_EQ(got, 1e16 + 1e6);
}

// Catastrophic cancellation: big terms that cancel exactly around small ones.
// Only compensated summation keeps the small ones.
TEST_P(Accuracy, CancellationKeepsTheSmallTerms) {
  std::vector<float> v;
  for (int i = 0; i < 100'000; ++i) {
    v.push_back(1e7f);
    v.push_back(0.25f);
    v.push_back(-1e7f);
  }
  EXPECT_EQ(sy::sum(v, {.backend = GetParam(), .accuracy = sy::accuracy::compensated}), 25'000.0f);
}

TEST(Accuracy, DefaultIsCompensated) {
  EXPECT_EQ(sy::options{}.accuracy, sy::accuracy::compensated);
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, Accuracy, ::testing::ValuesIn(st::every_backend()),
                         st::backend_name);

}  // namespace
