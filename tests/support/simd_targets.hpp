// Running a check once on every SIMD target compiled in: Highway's dispatch
// is pointed at one target at a time, and back at the best one afterwards.
// The tsan preset compiles one target only (HWY_COMPILE_ONLY_STATIC: its
// kernels are not instrumented, so which target runs is nothing TSan sees),
// so there each check runs once.
#pragma once

#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <cstddef>

namespace switchyard::testing {

/// Calls check(target) once per SIMD target this build has and this CPU
/// runs, with the target named in any failure; returns how many ran (a
/// failure if none did).
template <class Check>
std::size_t on_every_simd_target(Check&& check) {
  const auto targets = hwy::SupportedAndGeneratedTargets();
  if (targets.empty()) ADD_FAILURE() << "no SIMD target of this build runs on this CPU";
  for (const auto target : targets) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    check(target);
  }
  hwy::SetSupportedTargetsForTest(0);
  return targets.size();
}

}  // namespace switchyard::testing
