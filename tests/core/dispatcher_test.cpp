// The calibrated dispatcher: the chooser on a synthetic profile (the cheaper
// candidate wins, near-ties go to the simpler backend, deterministic = true
// leaves out backends with other bits, an unavailable backend is never
// chosen), the decision table against the model it was built from,
// explain()'s fields, the timing's robustness to one wild sample, and a
// kernel re-measured when its calls drift from the model. (The profile on
// disk: profile_store_test; a calibration beside other programs' work:
// other_work_test.)
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "core/src/dispatch/cost_model.hpp"
#include "core/src/dispatch/decision_table.hpp"
#include "core/src/dispatch/dispatcher.hpp"
#include "core/src/dispatch/fingerprint.hpp"
#include "core/src/dispatch/profile_store.hpp"
#include "core/src/dispatch/timing.hpp"
#include "core/src/engine_state.hpp"
#include "support/profile_cache.hpp"
#include "support/synthetic_profile.hpp"

namespace sy = switchyard;
namespace sd = switchyard::detail;
namespace dp = switchyard::detail::dispatch;
using sy::test::captured_warnings;
using sy::test::fresh_cache;
using sy::test::scoped_env;
using sy::test::synthetic;

namespace {

const dp::kernel_key float_sum{switchyard::kernels::op_kind::sum, sd::element_type::f32, sy::accuracy::compensated};

dp::query host_query(dp::kernel_key k, std::size_t n) { return {k, sd::memory::host, n, 2}; }

}  // namespace

TEST(CostModel, PicksTheCheaperCandidate) {
  const std::vector<sy::backend> all = {sy::backend::serial, sy::backend::simd, sy::backend::threads};
  const dp::profile cheap_threads = synthetic(1'000);
  const dp::profile dear_threads = synthetic(1e9);
  const std::size_t n = std::size_t{1} << 24;  // 64 MiB of floats: 256 chunks
  EXPECT_EQ(dp::cheapest(cheap_threads, all, host_query(float_sum, n)), sy::backend::threads);
  EXPECT_EQ(dp::cheapest(dear_threads, all, host_query(float_sum, n)), sy::backend::simd);
  // One chunk never pays a parallel backend: threads runs it inline, as simd.
  EXPECT_EQ(dp::cheapest(cheap_threads, all, host_query(float_sum, 1000)), sy::backend::simd);
  // The prediction is its parts.
  const auto c = dp::predict(cheap_threads, sy::backend::threads, host_query(float_sum, n));
  ASSERT_TRUE(c.has_value());
  EXPECT_DOUBLE_EQ(c->fixed_ns, 1'000);
  EXPECT_NEAR(c->bytes_ns, 4.0 * static_cast<double>(n) / 20, 1);
}

TEST(CostModel, NearTiesGoToTheSimplerBackend) {
  dp::profile p = synthetic(0);
  // threads made 3% faster than simd at this size: within the 5% tie margin.
  const std::size_t n = std::size_t{1} << 24;
  for (auto& g : p.threads.gbs) g = {10.3, 10.3, 10.3, 10.3};
  for (std::size_t i = 0; i < dp::key_count; ++i) p.simd[i].fixed_ns = 0;
  const std::vector<sy::backend> all = {sy::backend::serial, sy::backend::simd, sy::backend::threads};
  const auto simd = dp::predict(p, sy::backend::simd, host_query(float_sum, n))->total();
  const auto threads = dp::predict(p, sy::backend::threads, host_query(float_sum, n))->total();
  ASSERT_LT(threads, simd);
  ASSERT_GT(threads * dp::near_tie, simd);
  EXPECT_EQ(dp::cheapest(p, all, host_query(float_sum, n)), sy::backend::simd);
  // Beyond the margin, the faster one.
  for (auto& g : p.threads.gbs) g = {12, 12, 12, 12};
  EXPECT_EQ(dp::cheapest(p, all, host_query(float_sum, n)), sy::backend::threads);
}

TEST(CostModel, DeterminismLeavesOutBackendsWithOtherBits) {
  // cuda's float sums take another tree than the CPU backends': other bits.
  EXPECT_FALSE(dp::same_bits_as_reference(sy::backend::cuda, float_sum));
  EXPECT_TRUE(dp::same_bits_as_reference(sy::backend::threads, float_sum));
  // Counts and extrema are exact: the same on any backend.
  EXPECT_TRUE(dp::same_bits_as_reference(
      sy::backend::cuda, {switchyard::kernels::op_kind::count, sd::element_type::f32, sy::accuracy::fast}));
  EXPECT_TRUE(dp::same_bits_as_reference(
      sy::backend::cuda, {switchyard::kernels::op_kind::argmin, sd::element_type::f64, sy::accuracy::fast}));
  EXPECT_TRUE(dp::same_bits_as_reference(
      sy::backend::cuda, {switchyard::kernels::op_kind::sum, sd::element_type::i64, sy::accuracy::fast}));
}

TEST(CostModel, HostDataPaysTheStagingCopy) {
  dp::profile p = synthetic(1'000);
  p.processes.measured = true;
  p.processes.fixed_ns.fill(50'000);
  for (auto& g : p.processes.gbs) g = {20, 20, 20, 20};
  p.processes.gbs[static_cast<std::size_t>(sd::memory::host)] = {5, 5, 5, 5};  // through the staging copy
  const std::size_t n = std::size_t{1} << 24;
  const auto shared = dp::predict(p, sy::backend::processes, {float_sum, sd::memory::shared, n, 2});
  const auto vector = dp::predict(p, sy::backend::processes, {float_sum, sd::memory::host, n, 2});
  ASSERT_TRUE(shared && vector);
  EXPECT_EQ(shared->transfer_ns, 0);
  EXPECT_GT(vector->transfer_ns, 0);
  EXPECT_NEAR(vector->total(), 50'000 + 4.0 * static_cast<double>(n) / 5, 1);
  // Neither serial nor processes reads GPU memory.
  EXPECT_FALSE(dp::predict(p, sy::backend::serial, {float_sum, sd::memory::device, n, 2}).has_value());
}

TEST(DecisionTable, AgreesWithTheModelItWasBuiltFrom) {
  const std::vector<sy::backend> all = {sy::backend::serial, sy::backend::simd, sy::backend::threads};
  for (const double fixed : {0.0, 3'000.0, 40'000.0}) {
    const dp::profile p = synthetic(fixed);
    const dp::decision_table table(p, all, 2);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 20'000; ++i) {
      std::size_t k = rng() % dp::key_count;
      while (!dp::is_canonical(k)) k = rng() % dp::key_count;
      const std::size_t n = rng() >> (rng() % 60 + 4);
      const auto where = static_cast<sd::memory>(rng() % 3);
      EXPECT_EQ(table.pick(dp::key_at(k), where, n), dp::cheapest(p, all, {dp::key_at(k), where, n, 2}))
          << dp::key_name(dp::key_at(k)) << " n=" << n << " threads fixed " << fixed;
    }
  }
}

// A row is built at its first query: callers on several threads asking for
// the same rows at once each get the row the model gives.
TEST(DecisionTable, RowsFirstAskedForOnSeveralThreadsAtOnceAgree) {
  const std::vector<sy::backend> all = {sy::backend::serial, sy::backend::simd, sy::backend::threads};
  const dp::profile p = synthetic(3'000);
  const dp::decision_table table(p, all, 2);
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (std::size_t k = 0; k < dp::key_count; ++k) {
        if (!dp::is_canonical(k)) continue;
        for (int w = 0; w < 3; ++w) {
          const auto where = static_cast<sd::memory>((w + t) % 3);
          for (const std::size_t n : {std::size_t{1}, std::size_t{1} << 16, std::size_t{1} << 22}) {
            if (table.pick(dp::key_at(k), where, n) != dp::cheapest(p, all, {dp::key_at(k), where, n, 2})) ++wrong;
          }
        }
      }
    });
  }
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Dispatcher, NeverChoosesAnUnavailableBackend) {
  sy::engine e({.max_threads = 2});
  dp::profile p = synthetic(1'000);
  // cuda and processes priced as the cheapest by far.
  for (auto* r : {&p.cuda, &p.processes}) {
    r->measured = true;
    r->fixed_ns.fill(0);
    for (auto& g : r->gbs) g = {1e6, 1e6, 1e6, 1e6};
  }
  e.state().dispatch().use(p, "a synthetic profile");
  const std::vector<float> v(1 << 20, 1.0f);
  const sy::decision d = sy::explain(sy::op::sum, v, {.engine = &e});
  EXPECT_TRUE(e.availability(d.backend).available) << sy::to_string(d);
  if (!sy::availability(sy::backend::cuda).available) {
    EXPECT_NE(d.backend, sy::backend::cuda);
    bool cuda_left_out = false;
    for (const auto& l : d.left_out) cuda_left_out |= l.backend == sy::backend::cuda && !l.reason.empty();
    EXPECT_TRUE(cuda_left_out) << sy::to_string(d);
  }
  EXPECT_EQ(sy::sum(v, {.engine = &e}), float(1 << 20));
}

TEST(Dispatcher, MaxThreadsOneRunsOnOneThread) {
  sy::engine e({.max_threads = 2});
  e.state().dispatch().use(synthetic(1'000), "a synthetic profile");
  const std::vector<float> v(1 << 22, 1.0f);
  EXPECT_EQ(sy::explain(sy::op::sum, v, {.engine = &e}).backend, sy::backend::threads);
  EXPECT_EQ(sy::explain(sy::op::sum, v, {.max_threads = 1, .engine = &e}).backend, sy::backend::simd);
}

TEST(Explain, ShowsTheModelsNumbers) {
  sy::engine e({.max_threads = 2});
  e.state().dispatch().use(synthetic(1'000), "a synthetic profile");
  const std::vector<float> v(1 << 22, 1.0f);
  const sy::decision d = sy::explain(sy::op::sum, v, {.engine = &e});
  EXPECT_EQ(d.by, sy::decided_by::model);
  ASSERT_GE(d.candidates.size(), 3u);
  for (std::size_t i = 1; i < d.candidates.size(); ++i) {
    EXPECT_LE(d.candidates[i - 1].total_ns(), d.candidates[i].total_ns());
  }
  EXPECT_EQ(d.candidates.front().backend, d.backend);
  EXPECT_GE(d.margin, 1.0);
  EXPECT_FALSE(d.from_defaults);
  EXPECT_EQ(d.profile, "a synthetic profile");
  EXPECT_TRUE(d.in_calibrated_range);
  for (const auto& c : d.candidates) {
    EXPECT_NEAR(c.total_ns(), c.fixed_ns + c.bytes_ns + c.transfer_ns, 1e-6);
    EXPECT_GE(c.fixed_ns, 0);
  }
  const std::string table = sy::to_string(d);
  EXPECT_NE(table.find("<- chosen"), std::string::npos) << table;
  EXPECT_NE(table.find("predicted ns"), std::string::npos) << table;
  EXPECT_NE(d.reason.find("ahead of"), std::string::npos) << d.reason;

  // Far beyond what calibration measured: the model extrapolates, and says so.
  sd::call huge = sd::describe(sy::op::sum, std::span<const float>(v), {.engine = &e});
  huge.n = std::size_t{1} << 40;
  EXPECT_FALSE(sd::explain(huge).in_calibrated_range);

  // Forced: the choice is the caller's, the numbers are still shown.
  const sy::decision f = sy::explain(sy::op::sum, v, {.backend = sy::backend::serial, .engine = &e});
  EXPECT_EQ(f.by, sy::decided_by::caller);
  EXPECT_EQ(f.backend, sy::backend::serial);
  EXPECT_FALSE(f.candidates.empty());

  // A caller's callable: serial or threads, by the callable model.
  const sy::decision c = sy::explain(sy::op::transform_reduce, v, {.engine = &e});
  EXPECT_EQ(c.by, sy::decided_by::callables);
  for (const auto& k : c.candidates) {
    EXPECT_TRUE(k.backend == sy::backend::serial || k.backend == sy::backend::threads) << sy::to_string(c);
  }
}

TEST(Explain, SaysWhereShareArraysLive) {
  sy::engine e({.max_threads = 2});
  dp::profile p = synthetic(1'000);
  p.processes.measured = true;
  p.processes.fixed_ns.fill(10'000);
  p.processes.gbs.fill(std::array<double, dp::level_count>{20, 20, 20, 20});
  p.processes.gbs[static_cast<std::size_t>(sd::memory::host)] = {2, 2, 2, 2};
  e.state().dispatch().use(p, "a synthetic profile");
  const sy::shared_array<float> a(1 << 20);
  const std::vector<float> v(1 << 20);
  const auto transfer_of = [](const sy::decision& d) {
    for (const auto& c : d.candidates) {
      if (c.backend == sy::backend::processes) return c.transfer_ns;
    }
    return -1.0;
  };
  if (!sy::availability(sy::backend::processes).available) GTEST_SKIP() << "no processes backend here";
  EXPECT_EQ(transfer_of(sy::explain(sy::op::sum, a, {.engine = &e})), 0.0);
  EXPECT_GT(transfer_of(sy::explain(sy::op::sum, v, {.engine = &e})), 0.0);
}

// ---- Timing: one wild sample moves no median.

TEST(Timing, OneSlowSampleMovesNoMedian) {
  int calls = 0;
  auto steady = [&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    if (++calls == 6) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // 100x
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  const auto t = dp::time_interleaved({steady}, {.repetitions = 5, .min_sample_ns = 100'000});
  ASSERT_GE(calls, 6);
  EXPECT_LT(t[0], 1.5 * 200'000) << "the median moved with one 100x sample";
  EXPECT_GT(t[0], 190'000);
}

// ---- Drift: an entry whose times keep departing from the model is measured again.

TEST(Drift, AKernelThatKeepsMissingItsPredictionIsMeasuredAgain) {
  sy::engine e({.max_threads = 2});
  dp::profile p = synthetic(1e9);  // threads never pays: simd runs every call
  const std::size_t k = dp::index_of(float_sum);
  p.simd[k].gbs = 5'000;  // 5 TB/s: no machine reads that fast
  p.stream_gbs = {5'000, 5'000, 5'000, 5'000};
  e.state().dispatch().use(p, "a synthetic profile");
  captured_warnings warnings;
  const std::vector<float> v(1 << 18, 1.0f);  // 1 MiB: sampled
  for (unsigned i = 0; i < dp::dispatcher::drift_sample_every * (dp::dispatcher::drift_limit + 2); ++i) {
    ASSERT_EQ(sy::sum(v, {.engine = &e}), float(1 << 18));
  }
  const dp::model_state& m = e.state().dispatch().model();
  EXPECT_LT(m.p.simd[k].gbs, 1'000) << "sum/f32/compensated was not measured again";
  EXPECT_NE(m.source.find("re-measured"), std::string::npos) << m.source;
  ASSERT_FALSE(warnings.lines().empty());
  EXPECT_NE(warnings.lines()[0].find("measured again"), std::string::npos) << warnings.lines()[0];
  // An entry the model predicts well is left alone: one round of calls with
  // no re-measure in three. A load that shifts by more than 1.5x for eight
  // samples in a row (CI's tsan stage, beside the threads suite) rightly
  // re-measures; a dispatcher that re-measured what it predicts well would
  // do so every round.
  int rounds_left_alone = 0;
  for (int round = 0; round < 3 && rounds_left_alone == 0; ++round) {
    const double gbs = e.state().dispatch().model().p.simd[k].gbs;
    for (unsigned i = 0; i < dp::dispatcher::drift_sample_every * (dp::dispatcher::drift_limit + 2); ++i) {
      ASSERT_EQ(sy::sum(v, {.engine = &e}), float(1 << 18));
    }
    if (e.state().dispatch().model().p.simd[k].gbs == gbs) ++rounds_left_alone;
  }
  EXPECT_EQ(rounds_left_alone, 1) << "re-measured in each of three rounds: " << e.state().dispatch().model().source;
}

TEST(Drift, CallsFromManyThreadsWhileItReMeasures) {
  sy::engine e({.max_threads = 2});
  dp::profile p = synthetic(1e9);
  p.simd[dp::index_of(float_sum)].gbs = 5'000;
  p.stream_gbs = {5'000, 5'000, 5'000, 5'000};
  e.state().dispatch().use(p, "a synthetic profile");
  const std::vector<float> v(1 << 18, 1.0f);
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (sy::sum(v, {.engine = &e}) != float(1 << 18)) ++wrong;
        (void)sy::explain(sy::op::sum, v, {.engine = &e});
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LT(e.state().dispatch().model().p.simd[dp::index_of(float_sum)].gbs, 1'000);
}
