// switchyard compare on two stored, hand-made reports: ratios point the way
// that is better, crossovers that differ are flagged, and documents of
// another schema or version are refused.
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

}  // namespace
