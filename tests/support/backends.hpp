// The backends a conformance suite is instantiated for: every one available here.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

namespace switchyard::testing {

inline std::vector<backend> available_backends() {
  std::vector<backend> out;
  for (backend b : {backend::serial, backend::simd, backend::threads, backend::processes, backend::cuda}) {
    if (availability(b).available) out.push_back(b);
  }
  return out;
}

/// Names the instantiations of a suite over backends: EveryBackend/X.Y/simd.
inline std::string backend_name(const ::testing::TestParamInfo<backend>& p) {
  return std::string(to_string(p.param));
}

}  // namespace switchyard::testing
