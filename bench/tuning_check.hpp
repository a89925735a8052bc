// The kernels' tuning for this CPU (kernels/common/cpu_tuning.hpp), checked
// on the machine the suite runs on: each switch was measured best on one
// kind of core, and a machine of another kind (or a new model of a known
// one) may run faster with another setting. One case per alternative,
// `tuning/vs_<field>_<value>`: this CPU's tuning and the tuning with that one
// field changed, each running the calls the field changes, in interleaved
// rounds (support/interleaved.hpp). Its counters: each call's speed under
// this CPU's tuning over its speed under the alternative (a median of
// per-round ratios; above 1, this CPU's is faster), and `least`, the
// smallest of them, which the report's goal holds to 0.95.
#pragma once

#include <cstddef>

namespace switchyard::bench {

/// Registers the cases; `dram_bytes`: the streams' size (past the last-level
/// cache), `rounds`: the interleaved rounds of each case.
void register_tuning_check(std::size_t dram_bytes, int rounds);

}  // namespace switchyard::bench
