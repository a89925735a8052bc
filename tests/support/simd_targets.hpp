// Running a check once on every SIMD target compiled in: Highway's dispatch
// is pointed at one target at a time, and back at the best one afterwards
// (once only under ThreadSanitizer, for the single-threaded checks).
#pragma once

#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <cstddef>

#include "support/sanitizers.hpp"

namespace switchyard::testing {

/// Calls check(target) once per SIMD target this build has and this CPU
/// runs, with the target named in any failure; returns how many ran.
template <class Check>
std::size_t on_every_simd_target(Check&& check) {
  const auto targets = hwy::SupportedAndGeneratedTargets();
  for (const auto target : targets) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    check(target);
  }
  hwy::SetSupportedTargetsForTest(0);
  return targets.size();
}

/// check() on every SIMD target, except under ThreadSanitizer: once there,
/// on the chosen target. The suites that use it run one thread, which TSan
/// has nothing to see in, and on every target determinism_test's
/// ShortInputsAtEveryStart took it 28 s; the release and asan presets run
/// them all (ASan is what checks that the kernels' vectors stay inside the
/// input).
template <class F>
void on_every_target_but_once_under_tsan(F check) {
  if constexpr (thread_sanitized) {
    check();
  } else {
    ASSERT_GT(on_every_simd_target([&](auto) { check(); }), 0u);
  }
}

}  // namespace switchyard::testing
