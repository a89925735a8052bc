// The fixture test_cache: measures this machine for the dispatcher into the
// build tree's test cache before any test runs (tests/CMakeLists.txt says
// why), through the library alone, so every preset has it, with or without
// the switchyard command (whose `calibrate` dispatch_cli tests).
#include <cstdio>
#include <exception>

#include <switchyard/calibrate.hpp>

int main() {
  try {
    const auto r = switchyard::calibrate({.quick = true});
    if (r.profile_path.empty()) {
      std::fprintf(stderr, "the profile was not kept: %s\n", r.warning.c_str());
      return 1;
    }
    std::printf("calibrated in %.2f s; profile: %s\n", r.seconds, r.profile_path.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "calibrating failed: %s\n", e.what());
    return 1;
  }
}
