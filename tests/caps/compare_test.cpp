// switchyard compare on two stored, hand-made reports: ratios point the way
// that is better, crossovers that differ are flagged (and called possible
// noise when a report was taken under load), differences within the
// measurements' spread are marked as noise, and documents of another schema
// or version, or missing what the comparison reads, are refused.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "bench/caps/caps.hpp"

namespace caps = switchyard::caps;

namespace {

nlohmann::json report(const std::string& host, double bandwidth, double fork_us, nlohmann::json crossover_bytes) {
  return {{"schema", "switchyard-caps"},
          {"schema_version", caps::schema_version},
          {"switchyard_version", "0.1.0"},
          {"created", "2026-11-24T00:00:00Z"},
          {"quick", true},
          {"elapsed_seconds", 1.0},
          {"facts",
           {{"hostname", host},
            {"cpu", {{"model", "test CPU"}, {"sockets", 1}, {"cores", 2}, {"threads", 2}, {"numa_nodes", 1}}}}},
          {"measurements",
           {{{"name", "memory_read_1_thread"}, {"group", "memory"}, {"value", bandwidth}, {"unit", "GB/s"},
             {"higher_is_better", true}, {"method", "test"}},
            {{"name", "fork_wait"}, {"group", "os"}, {"value", fork_us}, {"unit", "us"},
             {"higher_is_better", false}, {"method", "test"}}}},
          {"crossovers", {{{"name", "threads_over_simd"}, {"bytes", crossover_bytes}, {"detail", ""}}}}};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Compare, RatiosPointTheWayThatIsBetter) {
  const auto text = caps::format_comparison({report("a", 20, 400, 524288), report("b", 50, 100, 524288)}, {"A", "B"});
  EXPECT_TRUE(contains(text, "2.50x")) << text;  // 50 GB/s against 20: more bandwidth is better
  EXPECT_TRUE(contains(text, "4.00x")) << text;  // 100 us against 400: less time is better
  EXPECT_TRUE(contains(text, "threads_over_simd: from 512 KiB on A, from 512 KiB on B\n")) << text;
}

TEST(Compare, CrossoversThatDifferAreFlagged) {
  const auto text =
      caps::format_comparison({report("a", 20, 400, nullptr), report("b", 20, 400, 131072)}, {"A", "B"});
  EXPECT_TRUE(contains(text, "threads_over_simd: never on A, from 128 KiB on B  <- routes differently")) << text;
}

TEST(Compare, RefusesOtherDocuments) {
  auto stale = report("old", 1, 1, nullptr);
  stale["schema_version"] = 0;
  EXPECT_THROW((void)caps::format_comparison({report("a", 1, 1, nullptr), stale}, {"A", "B"}), std::runtime_error);
  EXPECT_THROW((void)caps::format_comparison({report("a", 1, 1, nullptr), nlohmann::json::array()}, {"A", "B"}),
               std::runtime_error);
  EXPECT_THROW((void)caps::format_comparison({report("a", 1, 1, nullptr)}, {"A"}), std::runtime_error);
}

TEST(Compare, DifferencesWithinTheSpreadAreNoise) {
  auto a = report("a", 20, 400, 524288), b = report("b", 21, 100, 524288);
  a["measurements"][0]["spread"] = {{"low", 18.0}, {"high", 20.0}};
  b["measurements"][0]["spread"] = {{"low", 19.5}, {"high", 21.0}};  // overlaps a's
  a["measurements"][1]["spread"] = {{"low", 390.0}, {"high", 410.0}};
  b["measurements"][1]["spread"] = {{"low", 95.0}, {"high", 105.0}};  // far from a's
  const auto text = caps::format_comparison({a, b}, {"A", "B"});
  EXPECT_TRUE(contains(text, "1.05x ~")) << text;
  EXPECT_TRUE(contains(text, "4.00x  ")) << text;
  EXPECT_FALSE(contains(text, "4.00x ~")) << text;
}

// Guests name Zen 1 and Zen 5 alike ("AMD EPYC"); the family tells them
// apart, and a report from before the family was read still compares.
TEST(Compare, TheSameModelNameInAnotherFamilyIsAnotherCPU) {
  auto zen1 = report("a", 20, 400, 524288), zen5 = report("b", 20, 400, 524288), older = report("c", 20, 400, 524288);
  zen1["facts"]["cpu"]["family"] = 23;
  zen1["facts"]["cpu"]["model_number"] = 1;
  zen5["facts"]["cpu"]["family"] = 26;
  zen5["facts"]["cpu"]["model_number"] = 2;
  const auto text = caps::format_comparison({zen1, zen5}, {"A", "B"});
  EXPECT_TRUE(contains(text, "A: a (test CPU (family 23 model 1), 1 socket(s)")) << text;
  EXPECT_TRUE(contains(text, "differs: CPU: test CPU (family 23 model 1)")) << text;
  EXPECT_TRUE(contains(text, "on A, test CPU (family 26 model 2)")) << text;
  const auto with_older = caps::format_comparison({zen1, older}, {"A", "B"});
  EXPECT_TRUE(contains(with_older, "B: c (test CPU, 1 socket(s)")) << with_older;
}

TEST(Compare, ACrossoverMovedUnderLoadIsNotCalledARoutingChange) {
  auto idle = report("a", 20, 400, 524288), busy = report("b", 20, 400, 65536);
  idle["facts"]["load_average_1min"] = 0.1;
  busy["facts"]["load_average_1min"] = 2.4;
  const auto text = caps::format_comparison({idle, busy}, {"A", "B"});
  EXPECT_TRUE(contains(text, "differs: load: 0.10 on A, 2.40 on B")) << text;
  EXPECT_TRUE(contains(text, "may be noise")) << text;
  EXPECT_FALSE(contains(text, "routes differently")) << text;
}

TEST(Compare, OtherProgramsWorkWhileMeasuringIsNamedAndTakesPrecedenceOverTheLoadAverage) {
  auto idle = report("a", 20, 400, 524288), busy = report("b", 20, 400, 65536);
  // Load averages that say nothing (the busy report's other work began after the minute it averages).
  idle["facts"]["load_average_1min"] = 0.1;
  busy["facts"]["load_average_1min"] = 0.1;
  idle["other_work"] = {{"busy_cores", 0.02}, {"cpus", 2}};
  busy["other_work"] = {{"busy_cores", 1.0}, {"cpus", 2}};
  const auto text = caps::format_comparison({idle, busy}, {"A", "B"});
  EXPECT_TRUE(contains(text, "differs: load: other programs kept 0.0 of 2 CPUs busy while A measured, 1.0 of 2 while B did"))
      << text;
  EXPECT_TRUE(contains(text, "may be noise")) << text;
  EXPECT_FALSE(contains(text, "routes differently")) << text;
  // Both quiet while they measured: a routing change is one, whatever the load averages said.
  busy["other_work"]["busy_cores"] = 0.1;
  busy["facts"]["load_average_1min"] = 2.4;
  const auto quiet = caps::format_comparison({idle, busy}, {"A", "B"});
  EXPECT_FALSE(contains(quiet, "differs: load")) << quiet;
  EXPECT_TRUE(contains(quiet, "routes differently")) << quiet;
  // A figure no measurement gives is not read: the load averages decide.
  busy["other_work"] = {{"busy_cores", 5.0}, {"cpus", 2}};
  EXPECT_TRUE(contains(caps::format_comparison({idle, busy}, {"A", "B"}), "differs: load: 0.10 on A, 2.40 on B"));
}

TEST(Compare, FactsThatDifferAreNamed) {
  auto a = report("a", 20, 400, nullptr), b = report("b", 20, 400, nullptr);
  a["facts"]["simd"] = {{"active_target", "AVX2"}, {"kernel_tuning", "stream=page_ahead"}};
  b["facts"]["simd"] = {{"active_target", "AVX3"}};
  b["quick"] = false;
  const auto text = caps::format_comparison({a, b}, {"A", "B"});
  EXPECT_TRUE(contains(text, "differs: SIMD target: AVX2 on A, AVX3 on B")) << text;
  // A report from before the tuning was a fact reads as unknown.
  EXPECT_TRUE(contains(text, "differs: kernel tuning: stream=page_ahead on A, unknown on B")) << text;
  EXPECT_TRUE(contains(text, "differs: mode: quick on A, full on B")) << text;
}

TEST(Compare, AGPUMachineBesideOneWithoutIsNamedAndItsFiguresShown) {
  auto a = report("a", 20, 400, nullptr), b = report("b", 20, 400, nullptr);
  a["facts"]["cuda"] = {{"available", false}, {"reason", "no NVIDIA driver is installed"}, {"devices", nlohmann::json::array()}};
  b["facts"]["cuda"] = {{"available", true},
                        {"reason", ""},
                        {"driver_version", "13.0"},
                        {"runtime_version", "13.0"},
                        {"devices",
                         {{{"index", 0}, {"name", "NVIDIA H200"}, {"compute_capability", "9.0"},
                           {"multiprocessors", 132}, {"memory_bytes", 150'000'000'000.0}}}}};
  b["measurements"].push_back({{"name", "gpu0_device_copy"}, {"group", "gpu"}, {"value", 3900.0}, {"unit", "GB/s"},
                               {"higher_is_better", true}, {"method", "test"}});
  const auto text = caps::format_comparison({a, b}, {"A", "B"});
  EXPECT_TRUE(contains(text, "differs: GPU: none: no NVIDIA driver is installed on A, NVIDIA H200 (9.0, 132 SMs, 140 GiB); "
                             "driver 13.0, runtime 13.0 on B"))
      << text;
  EXPECT_TRUE(contains(text, "gpu0_device_copy")) << text;
}

TEST(Compare, IncompleteReportsAreRefusedByName) {
  auto no_value = report("b", 1, 1, nullptr);
  no_value["measurements"][0].erase("value");
  try {
    (void)caps::format_comparison({report("a", 1, 1, nullptr), no_value}, {"A", "B"});
    FAIL() << "a measurement without a value was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "B is not a complete caps report")) << e.what();
  }
  auto no_facts = report("b", 1, 1, nullptr);
  no_facts.erase("facts");
  EXPECT_THROW((void)caps::format_comparison({report("a", 1, 1, nullptr), no_facts}, {"A", "B"}), std::runtime_error);
  auto bad_crossover = report("b", 1, 1, nullptr);
  bad_crossover["crossovers"][0]["bytes"] = "lots";
  EXPECT_THROW((void)caps::format_comparison({report("a", 1, 1, nullptr), bad_crossover}, {"A", "B"}),
               std::runtime_error);
}

// Facts of the wrong type (found by caps_report_fuzz: caches as a string
// threw a JSON type_error out of compare) read as unknown; a schema field
// of the wrong type is a clear refusal.
TEST(Compare, FactsOfTheWrongTypeReadAsUnknown) {
  auto odd = report("b", 1, 1, nullptr);
  odd["facts"]["cpu"]["caches"] = "big";
  odd["facts"]["cpu"]["cores"] = 1e300;
  odd["facts"]["load_average_1min"] = "high";
  odd["facts"]["simd"] = 3;
  odd["quick"] = "yes";
  odd["measurements"][0]["spread"] = "wide";
  const auto text = caps::format_comparison({report("a", 1, 1, nullptr), odd}, {"A", "B"});
  EXPECT_TRUE(contains(text, "1e+300 cores")) << text;
  EXPECT_TRUE(contains(text, "memory_read_1_thread")) << text;
  auto no_schema = report("b", 1, 1, nullptr);
  no_schema["schema"] = 7;
  EXPECT_THROW((void)caps::format_comparison({report("a", 1, 1, nullptr), no_schema}, {"A", "B"}), std::runtime_error);
  auto text_version = report("b", 1, 1, nullptr);
  text_version["schema_version"] = "one";
  try {
    (void)caps::format_comparison({report("a", 1, 1, nullptr), text_version}, {"A", "B"});
    FAIL() << "a schema_version that is text was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "B has schema_version \"one\"")) << e.what();
  }
}

TEST(Compare, ManyMeasurementsAreComparedRowByRow) {
  // 50,000 measurements a report: each row found by name, not by a scan of
  // the list (which made 200,000 take minutes).
  auto a = report("a", 20, 400, nullptr), b = report("b", 20, 400, nullptr);
  for (int i = 0; i < 50'000; ++i) {
    std::string name = "m";  // not "m" + ...: GCC 12 warns falsely (-Wrestrict) on that
    name += std::to_string(i);
    const nlohmann::json m{{"name", name}, {"group", "compute"}, {"value", 1.0 + i},
                           {"unit", "ns"}, {"higher_is_better", false}, {"method", "test"}};
    a["measurements"].push_back(m);
    auto faster = m;
    faster["value"] = (1.0 + i) / 2;
    b["measurements"].push_back(faster);
  }
  const auto text = caps::format_comparison({a, b}, {"A", "B"});
  EXPECT_TRUE(contains(text, "  m0 ")) << text.substr(0, 400);
  EXPECT_TRUE(contains(text, "  m49999 "));
  std::size_t doubled = 0;
  for (std::size_t at = 0; (at = text.find("2.00x", at)) != std::string::npos; ++at) ++doubled;
  EXPECT_EQ(doubled, 50'000u);
}

}  // namespace
