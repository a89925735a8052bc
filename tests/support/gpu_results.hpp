// Test support: skipping without a GPU, and holding the GPU's results to the
// CPU's. Extrema and counts must match exactly (NaN matching NaN); a
// floating-point sum adds in another order, so it is held to a relative
// bound instead of the CPU's bits.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include <switchyard/switchyard.hpp>

namespace switchyard::testing {

/// A fixture for tests that need a usable GPU: without one they skip,
/// saying why.
class needs_gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto s = availability(backend::cuda); !s.available) GTEST_SKIP() << "no usable GPU here: " << s.reason;
  }
};

/// Equal, or both NaN.
template <class T>
bool same(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) && std::isnan(b)) return true;
  }
  return a == b;
}

/// Integers exactly; floats within 1e-5 (float) or 1e-12 (double) relative,
/// or the same NaN or infinity.
template <class S>
void expect_close(S got, S want, const std::string& what) {
  if constexpr (std::is_floating_point_v<S>) {
    if (!std::isfinite(want)) {
      EXPECT_TRUE(same(got, want)) << what << ": " << got << " vs " << want;
      return;
    }
    const double tolerance = (sizeof(S) == 4 ? 1e-5 : 1e-12) * std::max(1.0, std::abs(double(want)));
    EXPECT_NEAR(double(got), double(want), tolerance) << what;
  } else {
    EXPECT_EQ(got, want) << what;
  }
}

}  // namespace switchyard::testing
