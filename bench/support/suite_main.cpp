#include "suite_main.hpp"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include <benchmark/benchmark.h>

#include "program_flags.hpp"

namespace switchyard::bench {
namespace {

/// Google Benchmark's JSON, flushed after every run: a reader on the other
/// end of a pipe sees each run as soon as it is measured.
class streaming_json_reporter : public benchmark::JSONReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    JSONReporter::ReportRuns(runs);
    GetOutputStream() << std::flush;
  }
};

bool has_argument(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) return true;
  }
  return false;
}

}  // namespace

int suite_main(int argc, char** argv, const std::string& description, suite_flags flags,
               const std::function<int(const suite_settings&)>& register_benchmarks) {
  // --quick also shortens each case that sets no time of its own (the user's
  // --benchmark_min_time wins).
  std::vector<char*> args(argv, argv + argc);
  char quick_min_time[] = "--benchmark_min_time=0.05";
  if (has_argument(argc, argv, "--quick") && !has_argument(argc, argv, "--benchmark_min_time")) {
    args.insert(args.begin() + 1, quick_min_time);
  }
  argc = static_cast<int>(args.size());
  argv = args.data();
  // Google Benchmark's Initialize answers --help with its own flags only and
  // exits: leave --help to program_flags, which names both.
  if (!has_argument(argc, argv, "--help") && !has_argument(argc, argv, "-h")) benchmark::Initialize(&argc, argv);
  program_flags app{description,
                    "Google Benchmark's flags (--benchmark_filter, --benchmark_repetitions, --benchmark_out, ...) work too."};
  suite_settings settings;
  bool stream_json = false;
  app.flag("--quick", settings.quick, "smaller sizes and fewer rounds");
  app.flag("--stream-json", stream_json, "write the runs to stdout as Google Benchmark JSON, flushed after each");
  if (flags.nginx_port) {
    app.option("--nginx-port", settings.nginx_port,
               "an nginx on 127.0.0.1 serving page-<i>.html (10,000 pages of 4 KiB); without it the cases that need one are left out");
    app.allow("--nginx-port", 1, 65535);
  }
  if (const auto rc = app.parse(argc, argv)) return *rc;
  if (const int rc = register_benchmarks(settings); rc != 0) return rc;
  if (stream_json) {
    streaming_json_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}

}  // namespace switchyard::bench
