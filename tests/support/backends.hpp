// The backends a conformance suite is instantiated for: every one, skipped
// with the reason where this machine cannot run it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "core/src/registry.hpp"

namespace switchyard::testing {

/// Every backend in the registry, in its order. A suite instantiated over
/// them all runs on those this machine has and skips, saying why, on the others.
inline std::vector<backend> every_backend() {
  std::vector<backend> all;
  for (const auto& e : detail::registry()) all.push_back(e.id);
  return all;
}

/// The fixture of such a suite: GetParam() is the backend.
class backend_suite : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (const backend_status s = availability(GetParam()); !s.available) {
      GTEST_SKIP() << "backend " << to_string(GetParam()) << " is not available here: " << s.reason;
    }
  }
};

/// Names the instantiations of a suite over backends: EveryBackend/X.Y/simd.
inline std::string backend_name(const ::testing::TestParamInfo<backend>& p) {
  return std::string(to_string(p.param));
}

}  // namespace switchyard::testing
