// The main of every Google Benchmark suite: Google Benchmark takes its
// --benchmark_* flags, program_flags the suite's own (--quick, --stream-json
// and those it names in suite_flags). With --stream-json the runs go to stdout
// as Google Benchmark's JSON, flushed after each run, so `switchyard bench`
// can follow a suite as it runs and keep what it measured if it is stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace switchyard::bench {

/// The flags a suite takes beyond --quick and --stream-json. A description,
/// not a parser: CLI11 (a header library) stays in program_flags.cpp, since
/// each file that includes it compiles about 10 s longer at -O3.
struct suite_flags {
  /// --nginx-port: the suites that fetch pages (io, http_client, seed) take
  /// the port of an nginx serving page-<i>.html (`switchyard bench` starts one).
  bool nginx_port = false;
};

/// What every suite is told.
struct suite_settings {
  bool quick = false;           // smaller sizes and fewer rounds: `switchyard bench --quick`
  std::uint16_t nginx_port = 0;  // 0: not given (the suite leaves out what needs nginx)
};

/// A suite that cannot run on this machine (no GPU) exits with this code,
/// having said why on stderr; `switchyard bench` records it as skipped.
inline constexpr int suite_skipped = 77;

/// Parses the flags, then calls register_benchmarks (which returns 0, or
/// suite_skipped with the reason on stderr) and runs what it registered.
int suite_main(int argc, char** argv, const std::string& description, suite_flags flags,
               const std::function<int(const suite_settings&)>& register_benchmarks);

}  // namespace switchyard::bench
