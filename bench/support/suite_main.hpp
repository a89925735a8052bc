// The main of every Google Benchmark suite: Google Benchmark takes its
// --benchmark_* flags, CLI11 the suite's own (--quick, --stream-json and any
// the suite adds). With --stream-json the runs go to stdout as Google
// Benchmark's JSON, flushed after each run, so `switchyard bench` can follow
// a suite as it runs and keep what it measured if it is stopped.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace switchyard::bench {

/// What every suite is told.
struct suite_settings {
  bool quick = false;  // smaller sizes and fewer rounds: `switchyard bench --quick`
};

/// A suite that cannot run on this machine (no GPU) exits with this code,
/// having said why on stderr; `switchyard bench` records it as skipped.
inline constexpr int suite_skipped = 77;

/// --nginx-port: the suites that fetch pages (io, seed) take the port of an
/// nginx serving page-<i>.html (`switchyard bench` starts one).
void add_nginx_port(CLI::App& app, unsigned& port);

/// Parses the flags, then calls register_benchmarks (which returns 0, or
/// suite_skipped with the reason on stderr) and runs what it registered.
/// add_flags adds the suite's own options to the CLI11 app.
int suite_main(int argc, char** argv, const std::string& description, const std::function<void(CLI::App&)>& add_flags,
               const std::function<int(const suite_settings&)>& register_benchmarks);

}  // namespace switchyard::bench
