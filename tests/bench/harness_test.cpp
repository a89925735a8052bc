// The harness's arithmetic and its report, on stored and synthetic results:
// the Mann-Whitney U test against SciPy's figures, compare's verdicts on a
// clear speed-up, a clear slow-down and noise, the JSON a stopped suite
// leaves, and report.md from a stored results.json against the expected one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "harness/compare_results.hpp"
#include "harness/goals.hpp"
#include "harness/report.hpp"
#include "harness/results.hpp"
#include "harness/stats.hpp"

namespace sb = switchyard::bench;

namespace {

/// A results document with one suite holding one case, timed `seconds` per
/// repetition (Google Benchmark's JSON, as a suite streams it).
nlohmann::json results_with(const std::vector<double>& seconds) {
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t i = 0; i < seconds.size(); ++i) {
    runs.push_back({{"name", "sum_64KiB/simd_fast"}, {"run_name", "sum_64KiB/simd_fast"}, {"run_type", "iteration"},
                    {"repetitions", seconds.size()}, {"repetition_index", i}, {"iterations", 1000},
                    {"real_time", seconds[i] * 1e9}, {"cpu_time", seconds[i] * 1e9}, {"time_unit", "ns"}});
  }
  runs.push_back({{"name", "sum_64KiB/simd_fast_median"}, {"run_name", "sum_64KiB/simd_fast"}, {"run_type", "aggregate"},
                  {"aggregate_name", "median"}, {"real_time", 1.0}, {"cpu_time", 1.0}, {"time_unit", "ns"}});
  return {{"format", sb::results_format},
          {"context", {{"mode", "quick"}, {"repetitions", seconds.size()}}},
          {"suites", {{"reduce", {{"status", "ran"}, {"results", {{"benchmarks", runs}}}}}}}};
}

std::vector<double> around(double center, double spread, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(center - spread, center + spread);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(d(rng));
  return v;
}

sb::verdict verdict_of(const std::vector<double>& a, const std::vector<double>& b) {
  const sb::results_view ra(results_with(a)), rb(results_with(b));
  const auto rows = sb::compare_results(ra, rb);
  EXPECT_EQ(rows.size(), 1u);
  return rows.empty() ? sb::verdict::unclear : rows[0].call;
}

TEST(Stats, MannWhitneyMatchesTheNormalApproximationWorkedByHand) {
  // As scipy.stats.mannwhitneyu(a, b, use_continuity=False, method="asymptotic"):
  // U = 0, mean 12.5, variance 25 * 11 / 12: z = 2.611, p = 0.00902.
  EXPECT_NEAR(sb::mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 0.009023438818080, 1e-9);
  // U = 10: z = 2.5 / 4.787 = 0.5222, p = 0.6015.
  EXPECT_NEAR(sb::mann_whitney_p({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10}), 0.6015081344, 1e-8);
  // Ties share their rank and shrink the variance: ranks of a 1, 3, 3, 5.5;
  // U = 2.5, variance 16 / 12 * (9 - 30 / 56): z = 1.6372, p = 0.1016.
  EXPECT_NEAR(sb::mann_whitney_p({1, 2, 2, 3}, {2, 3, 4, 5}), 0.10159, 1e-4);
  EXPECT_EQ(sb::mann_whitney_p({}, {1, 2}), 1.0);
}

TEST(Stats, SpreadIsMedianQuartilesAndRange) {
  const auto s = sb::spread_of({5, 1, 4, 2, 3});
  EXPECT_EQ(s.median, 3);
  EXPECT_EQ(s.q1, 2);
  EXPECT_EQ(s.q3, 4);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 5);
  EXPECT_NEAR(sb::geometric_mean({1, 4}), 2, 1e-12);
}

TEST(Compare, ClearlyFasterClearlySlowerAndNoise) {
  const auto base = around(1e-3, 2e-5, 9, 1);
  EXPECT_EQ(verdict_of(base, around(0.5e-3, 1e-5, 9, 2)), sb::verdict::faster);
  EXPECT_EQ(verdict_of(base, around(2e-3, 4e-5, 9, 3)), sb::verdict::slower);
  EXPECT_EQ(verdict_of(base, around(1e-3, 2e-5, 9, 4)), sb::verdict::same);
  // 20% apart but with a spread that swallows it, and few repetitions: unclear.
  EXPECT_EQ(verdict_of({1e-3, 2e-3, 0.5e-3}, {1.2e-3, 0.6e-3, 2.4e-3}), sb::verdict::unclear);
}

TEST(Compare, TheTextHasAGeometricMeanAndTheCounts) {
  const sb::results_view a(results_with(around(1e-3, 2e-5, 9, 1))), b(results_with(around(0.5e-3, 1e-5, 9, 2)));
  const std::string text = sb::format_results_comparison(a, b, "A", "B");
  EXPECT_NE(text.find("geometric mean"), std::string::npos) << text;
  EXPECT_NE(text.find("1 cases: 1 faster, 0 slower"), std::string::npos) << text;
}

TEST(Results, AStoppedSuitesJsonIsClosed) {
  const std::string streamed =
      "{\n  \"context\": {\"date\": \"x\"},\n  \"benchmarks\": [\n    {\"name\": \"a\", \"run_name\": \"a\", "
      "\"run_type\": \"iteration\", \"real_time\": 1, \"cpu_time\": 1, \"time_unit\": \"ns\"},\n    {\"name\": \"b\", "
      "\"run_na";
  const auto doc = sb::close_truncated_benchmark_json(streamed);
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ((*doc)["benchmarks"].size(), 1u);
  EXPECT_EQ((*doc)["benchmarks"][0]["name"], "a");
  EXPECT_TRUE(sb::close_truncated_benchmark_json("{\n  \"context\": {},\n  \"benchmarks\": [\n").has_value());
  EXPECT_FALSE(sb::close_truncated_benchmark_json("garbage").has_value());
}

TEST(Results, NamesLoseTheirTimingSuffixes) {
  auto doc = results_with({1e-3});
  doc["suites"]["reduce"]["results"]["benchmarks"][0]["run_name"] = "sweep_sum/simd/bytes:4096/min_time:0.020/real_time";
  const sb::results_view r(doc);
  ASSERT_FALSE(r.cases().empty());
  const auto& c = r.cases().front();
  EXPECT_EQ(c.name, "sweep_sum/simd/bytes:4096");
  EXPECT_EQ(c.family, "sweep_sum");
  EXPECT_EQ(c.variant, "simd");
  EXPECT_EQ(c.arg_name, "bytes");
  EXPECT_EQ(c.arg, 4096);
}

TEST(Results, AColonBeforeSomethingOtherThanANumberIsPartOfTheVariant) {
  auto doc = results_with({1e-3});
  doc["suites"]["reduce"]["results"]["benchmarks"][0]["run_name"] = "sum/host:port/bytes:1e999/size:nan/n:7";
  const sb::results_view r(doc);
  ASSERT_FALSE(r.cases().empty());
  const auto& c = r.cases().front();
  EXPECT_EQ(c.variant, "host:port/bytes:1e999/size:nan");
  EXPECT_EQ(c.arg_name, "n");
  EXPECT_EQ(c.arg, 7);
}

// A results file a user edited: a field of another type reads as absent, in
// the reading, the report, the goals and the comparison, rather than a JSON
// type_error escaping (the fuzzer found `"run_type": 5`).
TEST(Results, FieldsOfTheWrongTypeReadAsAbsent) {
  auto doc = results_with({1e-3, 1.1e-3});
  auto& runs = doc["suites"]["reduce"]["results"]["benchmarks"];
  runs[0]["run_type"] = 5;
  runs[1]["time_unit"] = nlohmann::json::array();
  runs[1]["label"] = 3.5;
  runs.push_back("not a run");
  doc["context"] = {{"mode", 1}, {"repetitions", "two"}, {"warnings", {"w", 2}}, {"load_before", "high"},
                    {"interrupted", "yes"}, {"caps", {{"measurements", {{{"name", 7}, {"value", "fast"}}}}}}};
  doc["suites"]["reduce"]["status"] = false;
  doc["suites"]["dispatch"] = {{"results", {{"policies", {{{"policy", 1}, {"points", "x"}}}}, {"agreement_points", "y"}}}};
  doc["suites"]["io"] = "not a suite";
  const sb::results_view r(doc);
  ASSERT_EQ(r.cases().size(), 1u);
  EXPECT_EQ(r.cases().front().seconds.size(), 2u);  // run_type 5 reads as absent: an iteration
  EXPECT_EQ(r.cases().front().label, "");
  const std::string report = sb::format_report(r, {}, {});
  EXPECT_NE(report.find("- **Warning:** w\n"), std::string::npos);
  EXPECT_NE(report.find("**?**"), std::string::npos);  // the reduce suite's status
  EXPECT_NO_THROW((void)sb::evaluate_goals(r));
  EXPECT_NE(sb::format_results_comparison(r, sb::results_view(results_with({1e-3})), "A", "B").find("? mode"), std::string::npos);
}

TEST(Results, OtherDocumentsAreRefused) {
  EXPECT_THROW(sb::results_view{nlohmann::json::object()}, std::runtime_error);
  EXPECT_THROW(sb::results_view(nlohmann::json{{"format", "switchyard-caps"}}), std::runtime_error);
}

TEST(Report, MatchesTheExpectedReportForAStoredRun) {
  const std::string dir = SWITCHYARD_BENCH_TEST_DATA;
  const sb::results_view r = sb::read_results(dir + "/results-small.json");
  const std::string report = sb::format_report(r, {"reduce_sum.png"}, {});
  if (std::getenv("SWITCHYARD_UPDATE_EXPECTED")) std::ofstream(dir + "/report-small.md") << report;
  std::ifstream in(dir + "/report-small.md");
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(report, expected.str()) << "if the change is meant, rerun with SWITCHYARD_UPDATE_EXPECTED=1 and review "
                                       "the diff of tests/bench/data/report-small.md";
}

TEST(Report, GoalsAreComputedFromTheStoredRun) {
  const sb::results_view r = sb::read_results(std::string(SWITCHYARD_BENCH_TEST_DATA) + "/results-small.json");
  const auto goals = sb::evaluate_goals(r);
  ASSERT_FALSE(goals.empty());
  for (const auto& g : goals) {
    EXPECT_GT(g.value, 0) << g.what;
    const bool at_least = g.goal.rfind(">=", 0) == 0;
    const double bound = std::stod(g.goal.substr(3));
    EXPECT_EQ(g.met, at_least ? g.value >= bound : g.value <= bound) << g.what;
  }
}

/// The goals of a std::vector's start: every op in DRAM at 1.05 of the
/// aligned buffer's time; in L1 (16 KiB) only the ops whose order is free,
/// at 1.10; none at 1 KiB.
TEST(Goals, AStdVectorsStartIsHeldInDramAndForOrderFreeOpsInL1) {
  nlohmann::json runs = nlohmann::json::array();
  for (const char* size : {"1KiB", "16KiB", "256MiB"}) {
    const std::string name = std::string("alignment_") + size + "/interleaved/iterations:14/manual_time";
    nlohmann::json run{{"name", name}, {"run_name", name}, {"run_type", "iteration"}, {"repetitions", 1},
                       {"repetition_index", 0}, {"iterations", 14}, {"real_time", 1.0}, {"cpu_time", 1.0},
                       {"time_unit", "ms"}};
    for (const char* op : {"sum_fast", "sum_default", "argmin", "minmax", "count_gt"}) {
      run[std::string(op) + "_offset16_time_vs_aligned"] = 1.08;
    }
    runs.push_back(run);
  }
  const sb::results_view r(nlohmann::json{{"format", sb::results_format},
                                          {"context", {{"mode", "quick"}, {"repetitions", 1}}},
                                          {"suites", {{"reduce", {{"status", "ran"}, {"results", {{"benchmarks", runs}}}}}}}});
  std::vector<std::string> met, missed;
  for (const auto& g : sb::evaluate_goals(r)) {
    if (g.what.find("cache line") == std::string::npos) continue;
    (g.met ? met : missed).push_back(g.what.substr(0, g.what.find(" floats")));
  }
  EXPECT_EQ(met, (std::vector<std::string>{"argmin of 16KiB", "minmax of 16KiB", "count_gt of 16KiB"}));
  EXPECT_EQ(missed, (std::vector<std::string>{"sum_fast of 256MiB", "sum_default of 256MiB", "argmin of 256MiB",
                                              "minmax of 256MiB", "count_gt of 256MiB"}));
}

/// The tuning check's goals: one per alternative, its least ratio held to
/// 0.95.
TEST(Goals, EachTuningAlternativeIsAGoalOnItsLeastRatio) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& [variant, least] : {std::pair{"vs_stream_page_ahead", 1.02}, std::pair{"vs_adds_plain", 0.93}}) {
    const std::string name = std::string("tuning/") + variant + "/iterations:14/manual_time";
    runs.push_back({{"name", name}, {"run_name", name}, {"run_type", "iteration"}, {"repetitions", 1},
                    {"repetition_index", 0}, {"iterations", 14}, {"real_time", 1.0}, {"cpu_time", 1.0},
                    {"time_unit", "ms"}, {"least", least}, {"sum_fast_simd", 1.1}});
  }
  const sb::results_view r(nlohmann::json{{"format", sb::results_format},
                                          {"context", {{"mode", "quick"}, {"repetitions", 1}}},
                                          {"suites", {{"reduce", {{"status", "ran"}, {"results", {{"benchmarks", runs}}}}}}}});
  std::vector<std::pair<std::string, bool>> tuning;
  for (const auto& g : sb::evaluate_goals(r)) {
    if (g.what.rfind("kernel tuning", 0) == 0) tuning.emplace_back(g.what, g.met);
  }
  EXPECT_EQ(tuning, (std::vector<std::pair<std::string, bool>>{
                        {"kernel tuning, this CPU's against stream_page_ahead: the least of its calls' speed ratios", true},
                        {"kernel tuning, this CPU's against adds_plain: the least of its calls' speed ratios", false}}));
}

}  // namespace
