// A dispatcher profile with round numbers, for the tests of the chooser and
// of the profile on disk.
#pragma once

#include <cstddef>

#include "core/src/dispatch/profile.hpp"

namespace switchyard::test {

/// A profile where every kernel reads at 10 GB/s alone, serial at 1 GB/s,
/// threads costs `threads_fixed_ns` and its workers share 20 GB/s.
inline detail::dispatch::profile synthetic(double threads_fixed_ns) {
  namespace dp = detail::dispatch;
  dp::profile p = dp::default_profile({});
  p.defaults = false;
  p.workers = 2;
  p.stream_gbs = {100, 100, 100, 100};
  for (std::size_t i = 0; i < dp::key_count; ++i) {
    p.simd[i] = {50, 10, true};
    p.serial[i] = {40, 1, true};
  }
  p.threads.fixed_ns.fill(threads_fixed_ns);
  for (auto& g : p.threads.gbs) g = {20, 20, 20, 20};
  p.threads.measured = true;
  p.processes.measured = false;
  p.cuda.measured = false;
  return p;
}

}  // namespace switchyard::test
