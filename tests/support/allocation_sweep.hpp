// Every allocation of a run fails in turn: for n = 0, 1, 2, ... a child
// process (forked from the probe, which has touched none of the library)
// runs a scenario with its n-th allocation failing, until a run makes fewer
// than n. A child says how it ended by its exit status; a crash, an abort
// (an exception that met a noexcept frame or a thread's end), a hang (30 s)
// or a status a child does not give is a failure, named by its n. Link
// failing_allocations.cpp into the program.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "support/failing_allocations.hpp"

namespace switchyard::testing {

/// What a child says by its exit status (apart from a sanitizer's 1 or 66).
/// went_wrong_unfailed: its run went wrong before allocation n was reached,
/// as every later run would (its world broke: a file or server gone), so
/// the sweep stops there.
enum : int { ran_whole = 0, failed_and_went_on = 10, went_wrong = 11, went_wrong_unfailed = 12 };

/// A child's exit status from its run with allocation n failing: `failed`
/// is allocation_failed()'s answer (taken first, so that nothing after it
/// fails), `got` the scenario's result, -1 where the allocation's error
/// reached its caller, and then `goes_on` says whether what failed works
/// again. A failure nobody was told of must not change the result.
int verdict(long n, bool failed, int got, int expected, const std::function<bool()>& goes_on);

struct allocation_scenario {
  std::string name;
  /// One child's run with allocation n failing: ran_whole, failed_and_went_on
  /// or went_wrong (after saying why on stderr).
  std::function<int(long n)> child;
};

/// `PROGRAM [--every K] [SCENARIO...]` sweeps the scenarios named (all,
/// when none is): every allocation, or every K-th from an offset that moves
/// by one each day (a sanitizer's build, whose children are slower, covers
/// every allocation over K days); `PROGRAM --only N SCENARIO` runs one
/// child's run in this process, for a debugger. Returns the program's exit
/// status: 0 when no run went wrong.
int sweep_allocations(int argc, char** argv, const std::vector<allocation_scenario>& scenarios);

}  // namespace switchyard::testing
