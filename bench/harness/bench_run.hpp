// `switchyard bench`: every suite run as a child process with streamed JSON,
// then one results.json, one report.md and the plots, in one folder.
#pragma once

#include <string>
#include <vector>

namespace switchyard::bench {

struct bench_settings {
  bool full = false;                ///< --full: every size; else --quick
  std::vector<std::string> suites;  ///< empty: every suite
  std::string out_dir = "bench-results";
  int repetitions = 3;
  std::string filter;  ///< Google Benchmark's --benchmark_filter for the suites that are Google Benchmark programs
};

/// The suites, in the order they run.
std::vector<std::string> suite_names();

/// Runs the suites and writes out_dir/results.json, report.md and the
/// plots; prints progress on stderr and the summary on stdout. Returns the
/// exit status for the command: 0, or 130 when Ctrl-C stopped it (what was
/// measured is written all the same). Throws std::runtime_error for bad
/// settings (an unknown suite, a folder it cannot write).
int run_bench(const bench_settings& settings);

}  // namespace switchyard::bench
