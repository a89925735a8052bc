// Running a check under each CPU's kernel tuning on one machine
// (kernels/common/cpu_tuning.hpp): none of them may move a bit or skip an
// element, wherever it was measured best.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "kernels/common/cpu_tuning.hpp"

namespace switchyard::testing {

/// Calls check() once under the tuning of each kind of CPU measured (Zen 5's
/// is every unnamed CPU's), named in any failure, then goes back to this
/// CPU's own. `only_stream`: one tuning per stream policy, for the loops
/// nothing else in a tuning changes (the extrema's and count's: the touch
/// distance moves only where a prefetch points, which never faults).
template <class Check>
void under_every_cpu_tuning(Check&& check, bool only_stream = false) {
  namespace k = kernels;
  using maker = k::cpu_identity::maker;
  const struct {
    const char* cpu;
    k::cpu_identity identity;
  } kinds[] = {{"Zen 5", {maker::amd, 26, 2}},
               {"Intel", {maker::intel, 6, 167}},
               {"Zen 1", {maker::amd, 23, 1}},
               {"Zen 4", {maker::amd, 25, 17}}};
  bool stream_seen[3] = {false, false, false};
  for (const auto& kind : kinds) {
    const k::cpu_tuning tuning = k::cpu_tuning_for(kind.identity);
    bool& seen = stream_seen[static_cast<int>(tuning.stream)];
    if (only_stream && seen) continue;
    seen = true;
    SCOPED_TRACE(std::string(kind.cpu) + "'s tuning");
    k::set_cpu_tuning_for_test(tuning);
    EXPECT_EQ(k::cpu_tuning_in_use(), tuning);
    check();
  }
  k::set_cpu_tuning_for_test(std::nullopt);
}

}  // namespace switchyard::testing
