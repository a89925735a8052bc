// The registry, the engine and the choice: every backend listed once with its
// name and availability, SWITCHYARD_BACKEND forcing each (and a bad value a
// clear error), engines of their own, explain() and the decision log, and
// count_if with a comparison value of another type.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "backends/processes/pool.hpp"
#include "core/src/registry.hpp"
#include "support/backends.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;

namespace {

/// SWITCHYARD_BACKEND set for the engines made while it lives.
class environment_backend {
 public:
  explicit environment_backend(const char* value) {
    if (const char* old = std::getenv("SWITCHYARD_BACKEND")) old_ = old;
    setenv("SWITCHYARD_BACKEND", value, 1);
  }
  ~environment_backend() {
    if (old_.empty()) {
      unsetenv("SWITCHYARD_BACKEND");
    } else {
      setenv("SWITCHYARD_BACKEND", old_.c_str(), 1);
    }
  }

 private:
  std::string old_;
};

TEST(Registry, ListsEveryBackendOnceWithItsNameAndSerialLast) {
  const auto entries = sy::detail::registry();
  // The backends ctest runs the per-backend suites for (tests/CMakeLists.txt),
  // comma-separated.
  std::set<std::string> in_ctest;
  std::string list = SWITCHYARD_TEST_BACKENDS;
  for (std::size_t at = 0; at != std::string::npos;) {
    const std::size_t next = list.find(',', at);
    in_ctest.insert(list.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next == std::string::npos ? next : next + 1;
  }
  ASSERT_EQ(entries.size(), in_ctest.size());
  std::set<std::string_view> names;
  for (const auto& e : entries) {
    EXPECT_TRUE(in_ctest.contains(std::string(e.name))) << e.name << " has no ctest entries";
    EXPECT_TRUE(names.insert(e.name).second) << e.name << " is listed twice";
    EXPECT_EQ(sy::to_string(e.id), e.name);
    const sy::backend_status s = sy::availability(e.id);
    EXPECT_EQ(s.available, s.reason.empty()) << e.name << ": " << s.reason;
  }
  EXPECT_EQ(entries.back().id, sy::backend::serial);
  EXPECT_TRUE(sy::availability(sy::backend::serial).available);
  EXPECT_EQ(sy::to_string(sy::backend::automatic), "automatic");
  EXPECT_EQ(sy::to_string(static_cast<sy::backend>(42)), "invalid");
}

TEST(Registry, TheEnvironmentForcesEachAvailableBackend) {
  const std::vector<float> v(1000, 0.25f);
  for (const auto& e : sy::detail::registry()) {
    const environment_backend env(std::string(e.name).c_str());
    sy::engine engine;
    if (!sy::availability(e.id).available) {
      try {
        (void)sy::sum(v, {.engine = &engine});
        FAIL() << "SWITCHYARD_BACKEND=" << e.name << " ran although the backend cannot run here";
      } catch (const sy::error& err) {
        EXPECT_EQ(err.code(), sy::errc::backend_unavailable);
        EXPECT_NE(std::string(err.what()).find("SWITCHYARD_BACKEND"), std::string::npos) << err.what();
        EXPECT_NE(std::string(err.what()).find(sy::availability(e.id).reason), std::string::npos) << err.what();
      }
      continue;
    }
    const sy::decision d = sy::explain(sy::op::sum, v, {.engine = &engine});
    EXPECT_EQ(d.backend, e.id) << e.name;
    EXPECT_EQ(d.by, sy::decided_by::environment) << e.name;
    EXPECT_EQ(sy::sum(v, {.engine = &engine}), 250.0f) << e.name;
    // A backend forced in the options still wins over the variable.
    const sy::decision forced = sy::explain(sy::op::sum, v, {.backend = sy::backend::serial, .engine = &engine});
    EXPECT_EQ(forced.backend, sy::backend::serial);
    EXPECT_EQ(forced.by, sy::decided_by::caller);
  }
}

TEST(Registry, AnUnknownNameInTheEnvironmentIsAClearError) {
  const environment_backend env("gpu-please");
  sy::engine engine;
  const std::vector<float> v(10, 1.0f);
  try {
    (void)sy::sum(v, {.engine = &engine});
    FAIL() << "an unknown SWITCHYARD_BACKEND was ignored";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
    const std::string what = e.what();
    EXPECT_NE(what.find("SWITCHYARD_BACKEND=gpu-please"), std::string::npos) << what;
    EXPECT_NE(what.find("serial"), std::string::npos) << what;
  }
  // Forced in the options, the call does not consult the variable.
  EXPECT_EQ(sy::sum(v, {.backend = sy::backend::simd, .engine = &engine}), 10.0f);
}

// Run by ctest a second time with SWITCHYARD_BACKEND set for the whole
// process: the default engine follows it.
TEST(DefaultEngine, FollowsTheEnvironment) {
  const char* env = std::getenv("SWITCHYARD_BACKEND");
  const std::vector<double> v(100, 0.5);
  const sy::decision d = sy::explain(sy::op::sum, v);
  if (env == nullptr || *env == '\0') {
    EXPECT_EQ(d.by, sy::decided_by::model);
    return;
  }
  EXPECT_EQ(sy::to_string(d.backend), env);
  EXPECT_EQ(d.by, sy::decided_by::environment);
  EXPECT_EQ(sy::sum(v), 50.0);
}

TEST(Engine, OfOneThreadNeverChoosesThreads) {
  sy::engine one({.max_threads = 1});
  EXPECT_EQ(one.max_threads(), 1u);
  const std::vector<float> v(1 << 22, 1.0f);
  const sy::decision d = sy::explain(sy::op::sum, v, {.engine = &one});
  EXPECT_EQ(d.backend, sy::backend::simd) << d.reason;
  EXPECT_EQ(sy::sum(v, {.engine = &one}), float(1 << 22));
  EXPECT_EQ(sy::sum(v, {.backend = sy::backend::threads, .engine = &one}), float(1 << 22));
}

TEST(Engine, DestroyedStopsItsWorkerProcesses) {
  if (!sy::availability(sy::backend::processes).available) GTEST_SKIP() << "no processes backend here";
  std::vector<pid_t> pids;
  {
    sy::engine own({.max_threads = 2});
    const sy::shared_array<float> a(1 << 20);
    EXPECT_EQ(sy::sum(a, {.backend = sy::backend::processes, .engine = &own}), 0.0f);
    pids = switchyard::backends::processes::testing::worker_pids(own);
    ASSERT_FALSE(pids.empty());
  }
  for (pid_t pid : pids) EXPECT_NE(kill(pid, 0), 0) << "worker " << pid << " outlived its engine";
}

/// The model's rule, whatever this machine's profile says: the chosen
/// backend is the simplest whose predicted time is within 5% of the cheapest.
void expect_the_models_choice(const sy::decision& d) {
  ASSERT_FALSE(d.candidates.empty()) << sy::to_string(d);
  double cheapest = d.candidates.front().total_ns();
  for (const auto& c : d.candidates) cheapest = std::min(cheapest, c.total_ns());
  for (const auto& c : d.candidates) {
    if (c.backend == d.backend) {
      EXPECT_LE(c.total_ns(), cheapest * 1.05) << sy::to_string(d);
    } else if (c.backend < d.backend) {
      EXPECT_GT(c.total_ns(), cheapest * 1.05) << sy::to_string(d);
    }
  }
}

TEST(Explain, SaysWhatDecidedAndWhy) {
  const std::vector<float> small(1000, 1.0f), large(1 << 21, 1.0f);
  const sy::decision s = sy::explain(sy::op::sum, small);
  EXPECT_EQ(s.by, sy::decided_by::model);
  EXPECT_NE(s.reason.find("1000 elements"), std::string::npos) << s.reason;
  expect_the_models_choice(s);
  const sy::decision l = sy::explain(sy::op::argmin, large);
  expect_the_models_choice(l);
  if (sy::default_engine().max_threads() > 1) {
    bool threads_priced = false;
    for (const auto& c : l.candidates) threads_priced |= c.backend == sy::backend::threads;
    EXPECT_TRUE(threads_priced) << sy::to_string(l);
  }
  const sy::decision c = sy::explain(sy::op::transform_reduce, small);
  EXPECT_EQ(c.by, sy::decided_by::callables);
  EXPECT_EQ(c.backend, sy::backend::serial);
  EXPECT_THROW((void)sy::explain(sy::op::sum, small, {.accuracy = static_cast<sy::accuracy>(7)}), sy::error);
}

TEST(Log, DecisionLinesGoToTheHandler) {
  std::mutex m;
  std::vector<std::string> lines;
  sy::set_log_handler([&](sy::log_level level, std::string_view text) {
    const std::lock_guard lock(m);
    if (level == sy::log_level::decision) lines.emplace_back(text);
  });
  sy::set_log_decisions(true);
  const std::vector<int> v(300, 2);
  EXPECT_EQ(sy::sum(v), 600);
  EXPECT_EQ(sy::count_if(v, [](int x) { return x == 2; }), 300u);
  sy::set_log_decisions(false);
  EXPECT_EQ(sy::sum(v), 600);
  sy::set_log_handler({});
  ASSERT_EQ(lines.size(), 2u);
  // The line names the backend explain() gives (which one depends on the
  // machine's profile).
  const std::string chosen(sy::to_string(sy::explain(sy::op::sum, v).backend));
  EXPECT_NE(lines[0].find("sum of 300 elements on " + chosen + ": "), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("count_if of 300 elements on serial"), std::string::npos) << lines[1];
}

TEST(CountIf, AValueOfAnotherTypeComparesAsNumpyDoes) {
  const std::vector<float> f{0.5f, 0.7f, -0.3f, 2.0f};
  for (sy::backend b : st::every_backend()) {
    if (!sy::availability(b).available) continue;
    // 0 converts exactly: the built-in comparison, on every backend.
    EXPECT_EQ(sy::count_if(f, sy::gt(0), {.backend = b}), 3u) << sy::to_string(b);
    EXPECT_EQ(sy::count_if(f, sy::ge(0.5), {.backend = b}), 3u) << sy::to_string(b);
  }
  // 0.1 is no float: compared in double, as 0.1f > 0.1 is true.
  EXPECT_EQ(sy::count_if(std::vector<float>{0.1f, 0.05f}, sy::gt(0.1)), 1u);
  try {
    (void)sy::count_if(f, sy::gt(0.1), {.backend = sy::backend::simd});
    FAIL() << "simd ran a comparison in double";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::unsupported_operation);
    EXPECT_NE(std::string(e.what()).find("gt(0.5f)"), std::string::npos) << e.what();
  }
  const std::vector<std::uint8_t> bytes{0, 1, 2, 255};
  EXPECT_EQ(sy::count_if(bytes, sy::gt(300)), 0u);     // no uint8_t is above 300
  EXPECT_EQ(sy::count_if(bytes, sy::lt(300)), 4u);
  EXPECT_EQ(sy::count_if(bytes, sy::gt(0.5)), 3u);     // compared in double
  EXPECT_EQ(sy::count_if(bytes, sy::eq(-1)), 0u);      // never 255
  try {
    (void)sy::count_if(f, sy::compare<float>{static_cast<sy::comparison>(9), 0.0f});
    FAIL() << "a comparison outside the enum counted";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
  }
  const std::vector<std::int64_t> big{std::int64_t{1} << 60, 3};
  EXPECT_EQ(sy::count_if(big, sy::gt(2)), 2u);
}

TEST(Norm2, DoublesBelowTheSmallestNormalAreRescaledNotNaN) {
  const std::vector<double> one{1e-310}, ten(10, 1.1e-308), least{4.9e-324};
  for (sy::backend b : st::every_backend()) {
    if (!sy::availability(b).available) continue;
    const sy::options o{.backend = b};
    EXPECT_DOUBLE_EQ(sy::norm2(one, o), 1e-310) << sy::to_string(b);
    EXPECT_NEAR(sy::norm2(ten, o), 1.1e-308 * std::sqrt(10.0), 1e-15 * 1.1e-308 * std::sqrt(10.0)) << sy::to_string(b);
    EXPECT_EQ(sy::norm2(least, o), 4.9e-324) << sy::to_string(b);
  }
}

}  // namespace
