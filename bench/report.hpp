// The benchmark report: a console reporter that also keeps every run's time,
// and the figures the issues name, computed as ratios of runs from this same
// process and written as Markdown.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

namespace switchyard::bench {

/// Sizes of the crossover runs, in KiB.
inline constexpr int kCrossoverKiB[] = {128, 256, 272, 288, 320, 384, 512, 768, 1024, 2048};

/// Prints as the console reporter does and remembers seconds per iteration
/// for each benchmark name: the median when runs are repeated
/// (--benchmark_repetitions), else the single run.
class collecting_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  /// Seconds per iteration of the named run; 0 when it did not run (filtered).
  double seconds(const std::string& name) const;
  /// A user counter of the named run ("bench/name" and counter); 0 if absent.
  double counter(const std::string& name, const std::string& counter) const;

 private:
  std::map<std::string, double> seconds_;
  std::map<std::string, double> medians_;
  std::map<std::string, double> counters_;
};

/// Takes each `--NAME=value` flag of ours (a prefix "--NAME=" in `ours`) out
/// of argv, storing its value; returns the rest, for benchmark::Initialize.
std::vector<char*> take_flags(int argc, char** argv, const std::vector<std::pair<std::string, std::string*>>& ours);

/// Writes the figures table to `path` and to stdout.
void write_report(const collecting_reporter& r, const std::string& path);

}  // namespace switchyard::bench
