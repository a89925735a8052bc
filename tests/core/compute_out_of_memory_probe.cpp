// Every allocation of a run of reductions fails in turn
// (support/allocation_sweep.hpp). Each child must end well: every result
// right, or std::bad_alloc thrown to the caller, and then the same calls
// give every result right. Scenario "calls":
// the default engine made inside the run; sums, dot, minmax, argmin and
// count_if on serial, simd and threads, short (one chunk) and long; a
// transform_reduce and a count_if with the caller's callables; automatic
// on the built-in defaults (the probe turns calibration off) and explain();
// an engine of its own. Scenario "profile": automatic and explain() on a
// profile kept in the cache, which the first call loads. Scenario
// "processes": an engine's worker processes reducing a std::vector (copied
// through their staging memory) and a shared_array (read in place).
// Scenario "calibration": a calibration kept in a cache of its own, cut
// short at once (a budget of 0 s: its buffers, the profile kept and put in
// use, but no timing, which would take seconds in every child), then drift
// recovery's re-measure of one kernel put in use; after each, an automatic
// call, and the cache holds the profile and its lock and nothing else.
//   compute_out_of_memory_probe [--every K] [SCENARIO...]
//   compute_out_of_memory_probe --only N SCENARIO   (one run, in this
//   process: for a debugger)
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "core/src/dispatch/calibrate.hpp"
#include "core/src/dispatch/dispatcher.hpp"
#include "core/src/dispatch/fingerprint.hpp"
#include "core/src/dispatch/profile_store.hpp"
#include "core/src/engine_state.hpp"
#include "core/src/reading_files.hpp"
#include "support/allocation_sweep.hpp"

namespace sy = switchyard;
namespace testing = switchyard::testing;

namespace {

constexpr std::size_t long_n = 4 * 65536 + 1024;  // four chunks and part of a fifth
constexpr std::size_t short_n = 1000;                 // one chunk

/// Element i is i % 4: every sum below is exact in float.
std::vector<float> quarters(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 4);
  return v;
}

/// One point per result that is right.
int calls(const std::vector<float>& lng, const std::vector<float>& shrt) {
  int score = 0;
  const double n = static_cast<double>(lng.size());
  // threads, also after oneTBB's own set-up failed (which it cannot try
  // again): its calls then run on the caller's thread (threads.cpp).
  for (const sy::backend b : {sy::backend::serial, sy::backend::simd, sy::backend::threads}) {
    const sy::options on{.backend = b};
    score += sy::sum(lng, on) == 1.5 * n;
    score += sy::sum(shrt, on) == 1.5 * short_n;
    score += sy::dot(lng, lng, on) == 3.5 * n;
    score += sy::minmax(lng, on) == sy::min_max<float>{0.0f, 3.0f};
    score += sy::argmin(shrt, on) == sy::indexed<float>{0.0f, 0};
    score += sy::count_if(lng, sy::gt(2.0f), on) == lng.size() / 4;
  }
  const sy::options threads{.backend = sy::backend::threads};
  score += sy::transform_reduce(lng, 0.0, std::plus<>(), [](float x) { return 2.0 * x; }, threads) == 3.0 * n;
  score += sy::count_if(lng, [](float x) { return x > 2.0f; }, threads) == lng.size() / 4;
  score += sy::sum(lng) == 1.5 * n;
  score += !sy::explain(sy::op::sum, lng).reason.empty();
  sy::engine two({.max_threads = 2});
  score += sy::sum(lng, {.backend = sy::backend::threads, .engine = &two}) == 1.5 * n;
  return score;  // 3 * 6 + 5 = 23
}

int automatic(const std::vector<float>& lng) {
  const double n = static_cast<double>(lng.size());
  const sy::decision d = sy::explain(sy::op::sum, lng);
  return (sy::sum(lng) == 1.5 * n) + (!d.from_defaults && !d.profile.empty());  // 2
}

int processes(const std::vector<float>& lng) {
  int score = 0;
  const double n = static_cast<double>(lng.size());
  sy::engine two({.max_threads = 2});
  const sy::options on{.backend = sy::backend::processes, .engine = &two};
  score += sy::sum(lng, on) == 1.5 * n;
  sy::shared_array<float> shared(lng.size());
  std::copy(lng.begin(), lng.end(), shared.begin());
  score += sy::sum(shared, on) == 1.5 * n;
  score += sy::argmin(shared, on) == sy::indexed<float>{0.0f, 0};
  return score;  // 3
}

/// Whether directory `dir` holds profiles and their locks alone: no
/// temporary file a failed write left behind. Listed by the library's own
/// reader, since libstdc++'s directory iterators end the program out of
/// memory.
bool holds_profiles_alone(const std::filesystem::path& dir) {
  for (const std::string& name : switchyard::detail::directory_names(dir)) {
    if (!name.ends_with(".json") && !name.ends_with(".json.lock")) {
      std::fprintf(stderr, "%s was left in the cache\n", name.c_str());
      return false;
    }
  }
  return true;
}

int calibration(const std::vector<float>& lng) {
  namespace dp = switchyard::detail::dispatch;
  const double n = static_cast<double>(lng.size());
  switchyard::detail::engine_state& e = sy::default_engine().state();
  const auto [measured, why] = e.dispatch().recalibrate({.quick = true, .budget_seconds = 0});
  int score = 0;
  // Says which result was wrong: any that is fails the run.
  const auto right = [&score](bool ok, const char* what) {
    if (!ok) std::fprintf(stderr, "calibration: %s\n", what);
    score += ok;
  };
  right(why.empty() && !measured->p.defaults, why.empty() ? "the calibration gave the defaults" : why.c_str());
  right(sy::sum(lng) == 1.5 * n, "the sum after it was wrong");
  const dp::kernel_key drifted{switchyard::kernels::op_kind::sum, switchyard::detail::element_type::f32,
                               sy::accuracy::compensated};
  const dp::model_state& remeasured =
      e.dispatch().use(dp::remeasure(e, measured->p, drifted, sy::backend::threads), "re-measured");
  right(sy::sum(lng) == 1.5 * n && sy::explain(sy::op::sum, lng).profile == remeasured.source,
        "the sum after the re-measure was wrong or not on its profile");
  const dp::fingerprint& here = measured->p.machine;
  const std::filesystem::path path = dp::profile_path(here);
  const dp::loaded_profile kept = dp::load_profile(path, here);
  right(kept.value.has_value(), kept.problem.empty() ? "no profile at its path" : kept.problem.c_str());
  right(holds_profiles_alone(path.parent_path()), "the cache holds more than profiles");
  return score;  // 5
}

/// The scenario's calls with allocation n failing; the child's exit status.
int child(const std::function<int()>& scenario, int expected, long n) {
  int got = -1;
  testing::fail_allocation(n);
  try {
    got = scenario();
  } catch (const std::bad_alloc&) {
  } catch (const std::exception& e) {
    (void)testing::allocation_failed();
    std::fprintf(stderr, "allocation %ld: not std::bad_alloc but %s\n", n, e.what());
    return testing::went_wrong;
  }
  const bool failed = testing::allocation_failed();
  return testing::verdict(n, failed, got, expected, [&] {
    try {
      const int again = scenario();
      if (again == expected) return true;
      std::fprintf(stderr, "allocation %ld: after the error, %d results right of %d\n", n, again, expected);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "allocation %ld: after the error, %s\n", n, e.what());
    }
    return false;
  });
}

/// Keeps the built-in profile in `cache` as this machine's measured one,
/// from a child process (the probe itself touches none of the library).
bool keep_profile(const std::string& cache) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    namespace dp = switchyard::detail::dispatch;
    ::setenv("XDG_CACHE_HOME", cache.c_str(), 1);
    const dp::fingerprint here = dp::fingerprint_here(sy::default_engine().state());
    ::_exit(dp::save_profile(dp::default_profile(here), dp::profile_path(here)).empty() ? 0 : 1);
  }
  int status = 1;
  return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<float> lng = quarters(long_n), shrt = quarters(short_n);
  const std::string cache =
      (std::filesystem::temp_directory_path() / ("switchyard-oom-probe-" + std::to_string(::getpid()))).string();
  const std::string calibrated = cache + "-calibration";
  if (!keep_profile(cache)) {
    std::fprintf(stderr, "cannot keep a profile in %s\n", cache.c_str());
    return 1;
  }
  // Each child's own settings: the built-in defaults (a calibration would
  // measure for seconds in every child), or the kept profile.
  const auto defaults = [] { ::setenv("SWITCHYARD_CALIBRATE", "0", 1); };
  const auto kept = [&] { ::setenv("XDG_CACHE_HOME", cache.c_str(), 1); };
  const int status = testing::sweep_allocations(
      argc, argv,
      {{"calls", [&](long n) { return defaults(), child([&] { return calls(lng, shrt); }, 23, n); }},
       {"profile", [&](long n) { return kept(), child([&] { return automatic(lng); }, 2, n); }},
       {"processes", [&](long n) { return defaults(), child([&] { return processes(lng); }, 3, n); }},
       {"calibration", [&](long n) {
          // Each child's cache starts empty, so that what a run left is its own.
          std::filesystem::remove_all(calibrated);
          ::setenv("XDG_CACHE_HOME", calibrated.c_str(), 1);
          return child([&] { return calibration(lng); }, 5, n);
        }}});
  std::filesystem::remove_all(cache);
  std::filesystem::remove_all(calibrated);
  return status;
}
