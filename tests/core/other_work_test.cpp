// A calibration beside other programs' work: their CPU time is read (another
// process spinning counts, this process's own threads do not), recorded in
// the profile and warned of, and a profile measured short of cores is
// measured again on a quieter machine and kept on one as busy. ctest runs
// these alone: what another test does would be their load.
#include <gtest/gtest.h>

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <switchyard/switchyard.hpp>

#include "core/src/dispatch/fingerprint.hpp"
#include "core/src/dispatch/other_work.hpp"
#include "core/src/dispatch/profile_store.hpp"
#include "core/src/engine_state.hpp"
#include "bench/support/spinning_processes.hpp"
#include "support/profile_cache.hpp"

namespace sy = switchyard;
namespace dp = switchyard::detail::dispatch;
using sy::test::captured_warnings;
using sy::test::fresh_cache;
using sy::test::scoped_env;
using switchyard::bench::spinning_processes;

namespace {

unsigned cpus_here() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  return sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? static_cast<unsigned>(CPU_COUNT(&allowed)) : 1;
}

/// Half of this process's CPUs, at least one: enough to leave a calibration
/// on all of them short of a quarter of its cores.
unsigned half_the_cpus() { return std::max(1u, cpus_here() / 2); }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A quick calibration of this machine kept in the current cache, then
/// marked as if other programs had kept `busy_cores` busy while it ran.
/// Returns the file's path.
std::filesystem::path kept_as_if_measured_beside(double busy_cores) {
  sy::engine e({.max_threads = cpus_here()});
  (void)sy::calibrate({.quick = true, .engine = &e});
  const auto path = dp::profile_path(dp::fingerprint_here(e.state()));
  nlohmann::json kept = nlohmann::json::parse(read_file(path));
  kept["other_programs"] = {{"busy_cores", busy_cores}, {"cpus", cpus_here()}};
  std::ofstream(path) << kept.dump();
  return path;
}

}  // namespace

TEST(OtherWork, CoresTakenAreWhatTheSpareCpusCannotHoldAndAQuarterIsShort) {
  EXPECT_EQ((dp::other_work{1.0, 2}.cores_taken(2)), 1.0);
  EXPECT_EQ((dp::other_work{1.0, 4}.cores_taken(2)), 0.0);  // two CPUs were spare
  EXPECT_EQ((dp::other_work{3.0, 4}.cores_taken(2)), 1.0);
  EXPECT_EQ((dp::other_work{1.5, 2}.cores_taken(8)), 1.5);  // more workers than CPUs
  EXPECT_EQ((dp::other_work{0.0, 2}.cores_taken(2)), 0.0);
  // Short of cores from a quarter of the workers' cores taken.
  EXPECT_TRUE((dp::other_work{0.5, 2}.short_of_cores(2)));
  EXPECT_FALSE((dp::other_work{0.4, 2}.short_of_cores(2)));
  EXPECT_FALSE((dp::other_work{1.0, 4}.short_of_cores(2)));
  EXPECT_FALSE(dp::other_work{}.short_of_cores(2));  // not known
}

// A reading of /proc/stat: busy and stolen ticks count, idle and iowait do
// not, nor a CPU outside the affinity or the total line; a kernel too old
// to report steal reads as none stolen.
TEST(OtherWork, StolenTimeCountsAsTakenAndIdleOrWaitingDoesNot) {
  cpu_set_t cpu0_and_2;
  CPU_ZERO(&cpu0_and_2);
  CPU_SET(0, &cpu0_and_2);
  CPU_SET(2, &cpu0_and_2);
  //            user nice system idle iowait irq softirq steal guest guest_nice
  std::istringstream stat(
      "cpu  9000 9000 9000 9000 9000 9000 9000 9000 0 0\n"
      "cpu0 100 10 20 5000 700 1 2 300 0 0\n"
      "cpu1 999 999 999 999 999 999 999 999 0 0\n"
      "cpu2 40 0 8 6000 50 0 2 0 0 0\n"
      "intr 12345 0 0\n");
  unsigned cpus = 0;
  const auto busy = dp::busy_seconds_in(stat, cpu0_and_2, 100, cpus);
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(cpus, 2u);
  EXPECT_DOUBLE_EQ(*busy, (100 + 10 + 20 + 1 + 2 + 300 + 40 + 8 + 2) / 100.0);

  std::istringstream before_steal("cpu0 100 10 20 5000 700 1 2\n");
  ASSERT_TRUE(dp::busy_seconds_in(before_steal, cpu0_and_2, 100, cpus).has_value());
  EXPECT_EQ(cpus, 1u);

  std::istringstream garbled("cpu0 100 ten\n");
  EXPECT_FALSE(dp::busy_seconds_in(garbled, cpu0_and_2, 100, cpus).has_value());
}

TEST(OtherWork, AnotherProcessSpinningIsCounted) {
  const spinning_processes others(1);
  ASSERT_EQ(others.size(), 1u);
  const auto w = dp::other_work_now(std::chrono::milliseconds(300));
  ASSERT_TRUE(w.has_value()) << "/proc/stat cannot be read";
  EXPECT_EQ(w->cpus, cpus_here());
  EXPECT_GE(w->busy_cores, 0.7);
  EXPECT_LE(w->busy_cores, static_cast<double>(w->cpus));
}

TEST(OtherWork, ThisProgramsOwnThreadsAreNot) {
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  const auto w = dp::other_work_now(std::chrono::milliseconds(300));
  stop = true;
  busy.join();
  ASSERT_TRUE(w.has_value()) << "/proc/stat cannot be read";
  EXPECT_LT(w->busy_cores, 0.5) << "this process's own spinning thread was counted as another program's";
}

TEST(ShortOfCores, ACalibrationBesideOtherWorkSaysSoAndWarns) {
  const auto dir = fresh_cache("short-of-cores");
  scoped_env cache("XDG_CACHE_HOME", dir.string());
  sy::engine e({.max_threads = cpus_here()});
  captured_warnings warnings;
  sy::calibration_result r;
  double others_took = 0;  // cores' worth, over the calibration
  {
    const spinning_processes others(half_the_cpus());
    const double before = others.cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    r = sy::calibrate({.quick = true, .engine = &e});
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    others_took = (others.cpu_seconds() - before) / took.count();
  }
  // On an idle machine each child has a CPU; under a cgroup's CPU quota
  // they share it with the calibration's threads, and the figure follows
  // what they took.
  ASSERT_GE(others_took, 0.25 * half_the_cpus()) << "the spinning children hardly ran";
  EXPECT_EQ(r.cpus, cpus_here());
  EXPECT_GE(r.other_programs_busy_cores, 0.7 * others_took);
  const bool short_of_cores = dp::other_work{r.other_programs_busy_cores, r.cpus}.short_of_cores(e.max_threads());
  EXPECT_TRUE(short_of_cores || cpus_here() == 1 || others_took < 0.5 * half_the_cpus())
      << "other programs took " << others_took << " cores and the calibration was not short of them";
  EXPECT_EQ(warnings.has("other programs kept"), short_of_cores);
  const sy::decision d = sy::explain(sy::op::sum, std::vector<float>(1 << 20), {.engine = &e});
  EXPECT_EQ(d.profile.find("while other programs kept") != std::string::npos, short_of_cores) << d.profile;
  std::filesystem::remove_all(dir);
}

TEST(ShortOfCores, AProfileMeasuredShortOfCoresIsMeasuredAgainOnAQuieterMachine) {
  const auto dir = fresh_cache("measured-again");
  scoped_env cache("XDG_CACHE_HOME", dir.string());
  const unsigned cpus = cpus_here();
  const auto path = kept_as_if_measured_beside(cpus);  // every CPU busy

  captured_warnings warnings;
  sy::engine e({.max_threads = cpus});
  const std::vector<float> v(1 << 16, 1.0f);
  EXPECT_EQ(sy::sum(v, {.engine = &e}), float(1 << 16));
  EXPECT_TRUE(warnings.has("measuring again"));
  EXPECT_NE(sy::explain(sy::op::sum, v, {.engine = &e}).profile.find("measured again"), std::string::npos);
  const auto again = dp::load_profile(path, dp::fingerprint_here(e.state()));
  ASSERT_TRUE(again.value.has_value()) << again.problem;
  EXPECT_LT(again.value->others.busy_cores, 0.75 * cpus) << "the profile kept is not the new measurement";
  std::filesystem::remove_all(dir);
}

TEST(ShortOfCores, AProfileIsKeptWhileTheMachineIsAsBusy) {
  const auto dir = fresh_cache("as-busy");
  scoped_env cache("XDG_CACHE_HOME", dir.string());
  const auto path = kept_as_if_measured_beside(half_the_cpus());
  const std::string text = read_file(path);

  const spinning_processes others(half_the_cpus());
  captured_warnings warnings;
  sy::engine e({.max_threads = cpus_here()});
  const std::vector<float> v(1 << 16, 1.0f);
  EXPECT_EQ(sy::sum(v, {.engine = &e}), float(1 << 16));
  EXPECT_TRUE(warnings.lines().empty()) << warnings.lines()[0];
  EXPECT_EQ(sy::explain(sy::op::sum, v, {.engine = &e}).profile.find("measured again"), std::string::npos);
  EXPECT_EQ(read_file(path), text) << "the kept profile was measured again";
  std::filesystem::remove_all(dir);
}
