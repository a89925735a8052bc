// The dispatcher's profile on disk: profiles that cannot be trusted
// (corrupt, truncated, foreign, future, negative, over-busy) run on the
// defaults and warn; an unwritable cache still runs; SWITCHYARD_CALIBRATE=0;
// a first automatic call measures and keeps a profile, two programs starting
// together measure once; the build a profile is kept under, and profiles
// unused for a month removed.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <switchyard/switchyard.hpp>

#include "core/src/dispatch/dispatcher.hpp"
#include "core/src/dispatch/fingerprint.hpp"
#include "core/src/dispatch/json_tree.hpp"
#include "core/src/dispatch/profile_store.hpp"
#include "core/src/engine_state.hpp"
#include "support/failing_allocations.hpp"
#include "support/profile_cache.hpp"
#include "support/synthetic_profile.hpp"

namespace sy = switchyard;
namespace dp = switchyard::detail::dispatch;
using sy::test::captured_warnings;
using sy::test::fresh_cache;
using sy::test::scoped_env;
using sy::test::synthetic;

namespace {

// ---- Profiles that cannot be trusted: the call runs on defaults, warns, never throws.

class UntrustedProfile : public ::testing::TestWithParam<const char*> {};

TEST_P(UntrustedProfile, RunsOnDefaultsAndWarns) {
  const std::string kind = GetParam();
  const auto dir = fresh_cache(kind);
  scoped_env cache("XDG_CACHE_HOME", dir.string());
  sy::engine e({.max_threads = 2});
  const dp::fingerprint here = dp::fingerprint_here(e.state());
  const auto path = dp::profile_path(here);
  std::filesystem::create_directories(path.parent_path());
  nlohmann::json good;
  dp::to_json(dp::default_profile(here), good);
  std::string text = good.dump();
  if (kind == std::string("corrupt")) {
    text = "{\"format_version\": 1, \"fingerprint\": [not json";
  } else if (kind == std::string("truncated")) {
    text = text.substr(0, text.size() / 2);
  } else if (kind == std::string("foreign")) {
    good["fingerprint"]["cpu"] = "a machine far away";
    text = good.dump();
  } else if (kind == std::string("future")) {
    good["format_version"] = 99;
    text = good.dump();
  } else if (kind == std::string("negative")) {
    good["simd"]["sum/f32/compensated"]["gbs"] = -3.0;
    text = good.dump();
  } else if (kind == std::string("overbusy")) {
    good["other_programs"] = {{"busy_cores", 5.0}, {"cpus", 2}};
    text = good.dump();
  }
  std::ofstream(path) << text;

  captured_warnings warnings;
  const std::vector<float> v(1 << 20, 1.0f);
  float s = 0;
  EXPECT_NO_THROW(s = sy::sum(v, {.engine = &e}));
  EXPECT_EQ(s, float(1 << 20));
  const sy::decision d = sy::explain(sy::op::sum, v, {.engine = &e});
  EXPECT_TRUE(d.from_defaults) << sy::to_string(d);
  EXPECT_NE(d.profile.find("cannot be trusted"), std::string::npos) << d.profile;
  const auto lines = warnings.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(path.string()), std::string::npos) << lines[0];
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Kinds, UntrustedProfile,
                         ::testing::Values("corrupt", "truncated", "foreign", "future", "negative", "overbusy"));

TEST(Profile, RoundTripsThroughJson) {
  const dp::fingerprint here{"cpu", "AVX2", 2, 1, 2, 3, "none", "build"};
  dp::profile p = synthetic(1234);
  p.machine = here;
  p.defaults = false;
  p.others = {1.25, 2};
  nlohmann::json written;
  dp::to_json(p, written);
  const dp::profile back = dp::profile_from_json(written, here);
  EXPECT_EQ(back.threads.fixed_ns, p.threads.fixed_ns);
  EXPECT_EQ(back.stream_gbs, p.stream_gbs);
  EXPECT_EQ(back.others.cpus, p.others.cpus);
  EXPECT_EQ(back.others.busy_cores, p.others.busy_cores);
  for (std::size_t i = 0; i < dp::key_count; ++i) {
    if (!dp::is_canonical(i)) continue;
    EXPECT_EQ(back.simd[i].gbs, p.simd[i].gbs) << dp::key_name(dp::key_at(i));
  }
  // The built-in profile is one too.
  EXPECT_NO_THROW((void)dp::default_profile(here));
}

// nlohmann::json's destructor allocates (a vector of the children), which
// out of memory ends the program; a json_tree frees its document without it.
TEST(Profile, ADocumentGoesWhileNoAllocationCan) {
  dp::profile p = synthetic(1234);
  std::stringstream text;
  {
    dp::json_tree written;
    dp::to_json(p, written.root());
    text << written.root().dump();
    sy::testing::fail_allocations_from = 1;  // every allocation on this thread fails from here
  }
  sy::testing::fail_allocations_from = 0;
  {
    const dp::json_tree read(text);
    EXPECT_EQ(dp::profile_from_json(read.root(), {}, false).stream_gbs, p.stream_gbs);
    sy::testing::fail_allocations_from = 1;
  }
  sy::testing::fail_allocations_from = 0;
  // A parse that runs out of memory half way frees what it read the same way.
  for (const long after : {0, 10, 100, 300}) {
    text.clear();
    text.seekg(0);
    sy::testing::allocations_left = after;
    EXPECT_THROW(dp::json_tree{text}, std::bad_alloc) << after;
    sy::testing::allocations_left = -1;
  }
}

// nlohmann sets a container's type before it allocates the container: out of
// memory there, the document holds an object or array with nothing behind
// it. The tree still goes, wherever the building stopped.
TEST(Profile, ADocumentWhoseBuildingRanOutOfMemoryGoes) {
  const dp::profile p = synthetic(1234);
  long steps = 0;
  for (bool built = false; !built; ++steps) {
    sy::testing::allocations_left = steps;
    try {
      dp::json_tree written;
      dp::to_json(p, written.root());
      built = true;
    } catch (const std::bad_alloc&) {
    }
    sy::testing::allocations_left = -1;
  }
  EXPECT_GT(steps, 100);  // the sweep above stopped at every one of them
}

// A std::ostringstream, and a getline on a plain stream, catch out of
// memory and give a shorter string: a CPU's name or the path's key cut
// short kept a profile under another name, which no load found. With any
// one allocation failing, the path is whole or std::bad_alloc.
TEST(Profile, ThePathOfAProfileIsWholeOrOutOfMemory) {
  sy::engine e({.max_threads = 2});
  const std::filesystem::path whole = dp::profile_path(dp::fingerprint_here(e.state()));
  long n = 0;
  for (bool reached = true; reached; ++n) {
    sy::testing::fail_allocation(n);
    std::optional<std::filesystem::path> path;
    try {
      path = dp::profile_path(dp::fingerprint_here(e.state()));
    } catch (const std::bad_alloc&) {
    }
    reached = sy::testing::allocation_failed();
    if (path) {
      EXPECT_EQ(*path, whole) << "with allocation " << n << " failing";
    }
  }
  EXPECT_GT(n, 10);
}

// With any one allocation failing, a profile is kept whole, or the write
// is std::bad_alloc and leaves the cache as it was: no temporary file, and
// no end of the program while the document is built or the cache listed
// (libstdc++'s directory_iterator ends it there).
TEST(Profile, KeepingAProfileOutOfMemoryKeepsItWholeOrNothing) {
  namespace fs = std::filesystem;
  const auto dir = fresh_cache("keep-out-of-memory");
  dp::profile p = synthetic(1000);
  p.machine = {"cpu", "AVX2", 2, 1, 2, 3, "none", "build"};
  const fs::path kept = dir / "profile-kept.json";
  std::ofstream(dir / "profile-other.json") << "{}";  // the pruning lists the cache
  const auto names = [&] {
    std::vector<std::string> in;
    for (const auto& f : fs::directory_iterator(dir)) in.push_back(f.path().filename().string());
    std::sort(in.begin(), in.end());
    return in;
  };
  const std::vector<std::string> before{"profile-other.json"}, after{"profile-kept.json", "profile-other.json"};
  long n = 0;
  for (bool reached = true; reached; ++n) {
    fs::remove(kept);
    sy::testing::fail_allocation(n);
    bool threw = false;
    std::string why;
    try {
      why = dp::save_profile(p, kept);
    } catch (const std::bad_alloc&) {
      threw = true;
    }
    reached = sy::testing::allocation_failed();
    EXPECT_EQ(why, "") << "allocation " << n;
    EXPECT_EQ(names(), threw ? before : after) << "allocation " << n;
    if (!threw) {
      EXPECT_TRUE(dp::load_profile(kept, p.machine).value.has_value()) << "allocation " << n;
    }
  }
  EXPECT_GT(n, 100);
  fs::remove_all(dir);
}

TEST(Profile, AnUnwritableCacheStillRuns) {
  // A regular file where the cache directory should be: nothing can be
  // created under it, not even by root.
  const auto dir = fresh_cache("unwritable");
  const auto blocker = dir / "not-a-directory";
  std::ofstream(blocker) << "x";
  scoped_env cache("XDG_CACHE_HOME", blocker.string());
  captured_warnings warnings;
  sy::engine e({.max_threads = 2});
  const std::vector<float> v(1 << 16, 1.0f);
  float s = 0;
  EXPECT_NO_THROW(s = sy::sum(v, {.engine = &e}));
  EXPECT_EQ(s, float(1 << 16));
  // Among them (a calibration beside other programs' work warns too).
  EXPECT_TRUE(warnings.has("not kept"));
  const sy::decision d = sy::explain(sy::op::sum, v, {.engine = &e});
  EXPECT_FALSE(d.from_defaults);
  EXPECT_NE(d.profile.find("memory only"), std::string::npos) << d.profile;
  std::filesystem::remove_all(dir);
}

TEST(Profile, CalibrateZeroRunsOnDefaults) {
  const auto dir = fresh_cache("calibrate-zero");
  scoped_env cache("XDG_CACHE_HOME", dir.string());
  scoped_env off("SWITCHYARD_CALIBRATE", "0");
  sy::engine e({.max_threads = 2});
  const std::vector<double> v(1000, 0.5);
  EXPECT_EQ(sy::sum(v, {.engine = &e}), 500.0);
  const sy::decision d = sy::explain(sy::op::sum, v, {.engine = &e});
  EXPECT_TRUE(d.from_defaults);
  EXPECT_NE(d.profile.find("SWITCHYARD_CALIBRATE=0"), std::string::npos) << d.profile;
  EXPECT_NE(sy::to_string(d).find("(defaults)"), std::string::npos);
  // Nothing was measured, so nothing was written.
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST(Profile, AFirstAutomaticCallMeasuresAndKeepsIt) {
  const auto dir = fresh_cache("first-call");
  scoped_env cache("XDG_CACHE_HOME", dir.string());
  sy::engine e({.max_threads = 2});
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> v(1 << 16, 1.0f);
  EXPECT_EQ(sy::sum(v, {.engine = &e}), float(1 << 16));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto path = dp::profile_path(dp::fingerprint_here(e.state()));
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const auto loaded = dp::load_profile(path, dp::fingerprint_here(e.state()));
  ASSERT_TRUE(loaded.value.has_value()) << loaded.problem;
  EXPECT_TRUE(loaded.value->quick);
  // Bounded: 2 s of measuring, plus what the last measurement in flight takes.
  EXPECT_LT(seconds, 10.0);
  // A second engine loads it instead of measuring again.
  sy::engine again({.max_threads = 2});
  const sy::decision d = sy::explain(sy::op::sum, v, {.engine = &again});
  EXPECT_FALSE(d.from_defaults);
  EXPECT_NE(d.profile.find(path.string()), std::string::npos) << d.profile;
  std::filesystem::remove_all(dir);
}

// A child forked while a calibration held the lock (a prefork server whose
// other thread made the first automatic call) shares the lock through its
// copy of the descriptor: released by a close alone, it stayed held while
// the child lived, and every later calibration waited out its whole wait.
TEST(Profile, TheLockIsFreeOnceReleasedThoughAChildForkedWhileItWasHeldLives) {
  const auto dir = fresh_cache("lock-and-fork");
  const auto profile = dir / "profile-x.json";
  pid_t child = -1;
  {
    const dp::profile_lock held(profile, 0.0);
    ASSERT_FALSE(held.waited());
    child = fork();
    if (child == 0) {
      pause();  // holds its copy of the descriptor until killed
      _exit(0);
    }
    ASSERT_GT(child, 0);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const dp::profile_lock again(profile, 2.0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(again.waited()) << "waited " << seconds << " s for a lock released before";
  std::filesystem::remove_all(dir);
}

TEST(Profile, TheBuildIsNamedByTheDigestOfItsSources) {
  // The version alone would let a profile measured by other code steer this
  // build; tests/dispatch/source_digest_test.sh checks what the digest covers.
  sy::engine e({.max_threads = 2});
  const std::string build = dp::fingerprint_here(e.state()).build;
  const auto at = build.find("(sources ");
  ASSERT_NE(at, std::string::npos) << build;
  const std::string digest = build.substr(at + 9, 17);
  EXPECT_EQ(digest.back(), ')') << build;
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), 16u) << build;
}

TEST(Profile, ProfilesUnusedForAMonthGoWhenOneIsKept) {
  namespace fs = std::filesystem;
  const auto dir = fresh_cache("prune");
  const auto now = fs::file_time_type::clock::now();
  const auto days_ago = [&](int days) { return now - std::chrono::hours(24 * days); };
  const auto file = [&](const std::string& name, int age_days) {
    std::ofstream(dir / name) << "{}";
    fs::last_write_time(dir / name, days_ago(age_days));
  };
  file("profile-0ld.json", 31);
  file("profile-0ld.json.lock", 31);
  file("profile-recent.json", 29);
  file("profile-recent.json.lock", 40);  // a lock is never written: it goes with its profile
  file("profile-dead.json.tmp.123.456", 31);
  file("notes.txt", 400);  // not ours
  dp::profile p = synthetic(1000);
  p.machine = {"cpu", "AVX2", 2, 1, 2, 3, "none", "build"};
  const fs::path kept = dir / "profile-kept.json";
  ASSERT_EQ(dp::save_profile(p, kept), "");
  EXPECT_TRUE(fs::exists(kept));
  EXPECT_FALSE(fs::exists(dir / "profile-0ld.json"));
  EXPECT_FALSE(fs::exists(dir / "profile-0ld.json.lock"));
  EXPECT_FALSE(fs::exists(dir / "profile-dead.json.tmp.123.456"));
  EXPECT_TRUE(fs::exists(dir / "profile-recent.json"));
  EXPECT_TRUE(fs::exists(dir / "profile-recent.json.lock"));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));

  // A profile in use is loaded, and a load refreshes its time: the next
  // profile kept beside it leaves it.
  fs::last_write_time(kept, days_ago(45));
  const auto loaded = dp::load_profile(kept, p.machine);
  ASSERT_TRUE(loaded.value.has_value()) << loaded.problem;
  EXPECT_GT(fs::last_write_time(kept), days_ago(1));
  ASSERT_EQ(dp::save_profile(p, dir / "profile-other.json"), "");
  EXPECT_TRUE(fs::exists(kept));
  fs::remove_all(dir);
}

TEST(Profile, TwoProgramsStartingTogetherMeasureOnce) {
  // Two engines stand for two programs: each opens the lock file itself.
  const auto dir = fresh_cache("together");
  scoped_env cache("XDG_CACHE_HOME", dir.string());
  sy::engine a({.max_threads = 2}), b({.max_threads = 2});
  const std::vector<float> v(1 << 16, 1.0f);
  std::thread other([&] { EXPECT_EQ(sy::sum(v, {.engine = &b}), float(1 << 16)); });
  EXPECT_EQ(sy::sum(v, {.engine = &a}), float(1 << 16));
  other.join();
  const dp::profile& pa = a.state().dispatch().model().p;
  const dp::profile& pb = b.state().dispatch().model().p;
  EXPECT_FALSE(pa.defaults);
  // One measured; the other waited and loaded what it kept.
  EXPECT_EQ(pa.calibration_seconds, pb.calibration_seconds);
  EXPECT_EQ(pa.stream_gbs, pb.stream_gbs);
  std::filesystem::remove_all(dir);
}

}  // namespace
