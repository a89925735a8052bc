// The cgroup CPU limit as the kernel lays it out: cgroup v2's cpu.max, v1's
// cfs files, mounts whose top is not the hierarchy's root (a container that
// sees only its own cgroup), ancestors with a tighter limit, and files that
// are missing or not numbers. Each case writes the files a kernel would show
// into a directory of its own and reads them back.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <switchyard/engine.hpp>

#include "core/src/usable_cores.hpp"

namespace {

namespace fs = std::filesystem;
using switchyard::detail::cgroup_cpu_limit;
using switchyard::detail::cgroup_files;

/// A directory standing for the file system root, with /proc/self's two
/// files in it.
class fake_root {
 public:
  fake_root() {
    static int made = 0;
    dir_ = fs::temp_directory_path() /
           ("switchyard-cgroup-" + std::to_string(getpid()) + "-" + std::to_string(made++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~fake_root() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fake_root(const fake_root&) = delete;
  fake_root& operator=(const fake_root&) = delete;

  /// Writes `text` to the file at `path` (absolute, as the kernel names it).
  void write(const std::string& path, const std::string& text) const {
    const fs::path file = dir_ / fs::path(path).relative_path();
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }

  std::optional<double> limit() const {
    return cgroup_cpu_limit(cgroup_files{.self_cgroup = dir_ / "proc/self/cgroup",
                                         .mountinfo = dir_ / "proc/self/mountinfo",
                                         .root = dir_});
  }

 private:
  fs::path dir_;
};

// A pure cgroup v2 machine (systemd's default since 2021), as a container
// with a private cgroup namespace sees it.
constexpr const char* v2_mountinfo =
    "25 30 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
    "26 30 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n";

// A cgroup v1 (or hybrid) machine: the cpu controller in a v1 hierarchy,
// with cpuacct, and a v2 hierarchy without controllers beside it.
constexpr const char* v1_mountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(CgroupCpuLimit, IsTheQuotaOverThePeriodOfTheProcesssCgroupV2) {
  fake_root r;
  r.write("/proc/self/mountinfo", v2_mountinfo);
  r.write("/proc/self/cgroup", "0::/kubepods/pod7/app\n");
  r.write("/sys/fs/cgroup/kubepods/pod7/app/cpu.max", "150000 100000\n");
  ASSERT_TRUE(r.limit().has_value());
  EXPECT_DOUBLE_EQ(*r.limit(), 1.5);
}

TEST(CgroupCpuLimit, IsNoneWhereEveryLevelSaysMax) {
  fake_root r;
  r.write("/proc/self/mountinfo", v2_mountinfo);
  r.write("/proc/self/cgroup", "0::/user.slice/session-1.scope\n");
  r.write("/sys/fs/cgroup/user.slice/session-1.scope/cpu.max", "max 100000\n");
  r.write("/sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
  EXPECT_FALSE(r.limit().has_value());
}

// The kernel enforces an ancestor's limit on every cgroup below it, so a
// leaf without a limit of its own is still held to its parent's.
TEST(CgroupCpuLimit, TakesAnAncestorsTighterLimit) {
  fake_root r;
  r.write("/proc/self/mountinfo", v2_mountinfo);
  r.write("/proc/self/cgroup", "0::/limited/leaf\n");
  r.write("/sys/fs/cgroup/limited/leaf/cpu.max", "max 100000\n");
  r.write("/sys/fs/cgroup/limited/cpu.max", "200000 100000\n");
  ASSERT_TRUE(r.limit().has_value());
  EXPECT_DOUBLE_EQ(*r.limit(), 2.0);

  r.write("/sys/fs/cgroup/limited/leaf/cpu.max", "50000 100000\n");
  ASSERT_TRUE(r.limit().has_value());
  EXPECT_DOUBLE_EQ(*r.limit(), 0.5);
}

TEST(CgroupCpuLimit, ReadsTheV1CpuControllersCfsFiles) {
  fake_root r;
  r.write("/proc/self/mountinfo", v1_mountinfo);
  r.write("/proc/self/cgroup", "9:name=systemd:/\n4:cpu,cpuacct:/batch/job3\n3:cpuset:/\n0::/\n");
  r.write("/sys/fs/cgroup/cpu,cpuacct/batch/job3/cpu.cfs_quota_us", "250000\n");
  r.write("/sys/fs/cgroup/cpu,cpuacct/batch/job3/cpu.cfs_period_us", "100000\n");
  ASSERT_TRUE(r.limit().has_value());
  EXPECT_DOUBLE_EQ(*r.limit(), 2.5);
}

TEST(CgroupCpuLimit, IsNoneWhereV1SaysMinusOne) {
  fake_root r;
  r.write("/proc/self/mountinfo", v1_mountinfo);
  r.write("/proc/self/cgroup", "4:cpu,cpuacct:/\n0::/\n");
  r.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  r.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  EXPECT_FALSE(r.limit().has_value());
}

// Docker without a cgroup namespace: /proc/self/cgroup names the container's
// cgroup from the host's root, and the mount shows that cgroup at its top.
TEST(CgroupCpuLimit, FindsTheCgroupUnderAMountWhoseTopIsTheContainers) {
  fake_root r;
  r.write("/proc/self/mountinfo",
          "32 31 0:29 /docker/3f2a /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n");
  r.write("/proc/self/cgroup", "4:cpu,cpuacct:/docker/3f2a\n");
  r.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "300000\n");
  r.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  ASSERT_TRUE(r.limit().has_value());
  EXPECT_DOUBLE_EQ(*r.limit(), 3.0);
}

// A process outside the namespace's root (moved there after the mount) is
// shown as "/.."; the mount's top is all it can see.
TEST(CgroupCpuLimit, ReadsTheMountsTopForAPathOutsideIt) {
  fake_root r;
  r.write("/proc/self/mountinfo", v2_mountinfo);
  r.write("/proc/self/cgroup", "0::/../other\n");
  r.write("/sys/fs/cgroup/cpu.max", "100000 100000\n");
  ASSERT_TRUE(r.limit().has_value());
  EXPECT_DOUBLE_EQ(*r.limit(), 1.0);
}

TEST(CgroupCpuLimit, UndoesMountinfosEscapesInTheMountPoint) {
  fake_root r;
  r.write("/proc/self/mountinfo", "25 30 0:22 / /mnt/cgroup\\040v2 rw - cgroup2 cgroup2 rw\n");
  r.write("/proc/self/cgroup", "0::/app\n");
  r.write("/mnt/cgroup v2/app/cpu.max", "400000 100000\n");
  ASSERT_TRUE(r.limit().has_value());
  EXPECT_DOUBLE_EQ(*r.limit(), 4.0);
}

TEST(CgroupCpuLimit, IsNoneWhereTheFilesAreMissingOrNotNumbers) {
  {
    fake_root r;  // no /proc/self files at all
    EXPECT_FALSE(r.limit().has_value());
  }
  {
    fake_root r;
    r.write("/proc/self/mountinfo", v2_mountinfo);
    r.write("/proc/self/cgroup", "0::/app\n");  // and no cpu.max: the controller is off there
    EXPECT_FALSE(r.limit().has_value());
    r.write("/sys/fs/cgroup/app/cpu.max", "lots 100000\n");
    EXPECT_FALSE(r.limit().has_value());
    r.write("/sys/fs/cgroup/app/cpu.max", "100000 0\n");
    EXPECT_FALSE(r.limit().has_value());
  }
  {
    fake_root r;
    r.write("/proc/self/mountinfo", "garbage\n- - -\n32 31 0:29 / - cgroup\n");
    r.write("/proc/self/cgroup", "::::\nnot a line\n0::\n");
    EXPECT_FALSE(r.limit().has_value());
  }
}

/// A cgroup of the cpu controller made below this process's own, removed
/// when done; empty where this machine lets no one make one (not root, or
/// the cgroup file system mounted read-only).
class real_cgroup {
 public:
  real_cgroup() {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
      const std::size_t a = line.find(':');
      const std::size_t b = a == std::string::npos ? a : line.find(':', a + 1);
      if (b == std::string::npos) continue;
      std::string controllers(1, ',');
      controllers.append(line, a + 1, b - a - 1).push_back(',');
      const std::string own = line.substr(b + 1);
      if (controllers.find(",cpu,") != std::string::npos) {
        for (const char* mount : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
          if (make(fs::path(mount) / fs::path(own).relative_path(), false)) return;
        }
      } else if (controllers == ",,") {
        const fs::path dir = fs::path("/sys/fs/cgroup") / fs::path(own).relative_path();
        std::ifstream enabled(dir / "cgroup.subtree_control");
        std::string word;
        while (enabled >> word) {
          if (word == "cpu" && make(dir, true)) return;
        }
      }
    }
  }
  ~real_cgroup() {
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  real_cgroup(const real_cgroup&) = delete;
  real_cgroup& operator=(const real_cgroup&) = delete;

  bool made() const { return !dir_.empty(); }

  /// Sets the quota to `quota_us` each 100 ms.
  bool limit(long quota_us) const {
    if (v2_) return std::ofstream(dir_ / "cpu.max") << quota_us << " 100000" << std::flush ? true : false;
    return (std::ofstream(dir_ / "cpu.cfs_period_us") << 100000 << std::flush) &&
           (std::ofstream(dir_ / "cpu.cfs_quota_us") << quota_us << std::flush);
  }

  /// Moves the calling process into the cgroup.
  bool enter() const { return static_cast<bool>(std::ofstream(dir_ / "cgroup.procs") << getpid() << std::flush); }

 private:
  bool make(const fs::path& parent, bool v2) {
    const fs::path dir = parent / ("switchyard-test-" + std::to_string(getpid()));
    if (!fs::is_directory(parent) || ::mkdir(dir.c_str(), 0755) != 0) return false;
    dir_ = dir;
    v2_ = v2;
    return true;
  }

  fs::path dir_;
  bool v2_ = false;
};

/// What an engine made in a child process in `group` under a quota of
/// `quota_us` per 100 ms uses: its max_threads(), or -1 on failure.
int engine_threads_under(const real_cgroup& group, long quota_us) {
  if (!group.limit(quota_us)) return -1;
  int report[2];
  if (::pipe(report) != 0) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    int threads = -1;
    if (group.enter()) threads = static_cast<int>(switchyard::engine().max_threads());
    (void)!::write(report[1], &threads, sizeof threads);
    ::_exit(0);
  }
  ::close(report[1]);
  int threads = -1;
  if (child < 0 || ::read(report[0], &threads, sizeof threads) != sizeof threads) threads = -1;
  ::close(report[0]);
  int status = 0;
  while (child > 0 && ::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return threads;
}

// The kernel's own files, not ones this test wrote: a process moved into a
// cgroup with a quota makes an engine that keeps within it. Forked before
// this process starts any thread, so the child may make an engine.
TEST(UsableCores, AnEngineInACgroupWithAQuotaKeepsWithinIt) {
  real_cgroup group;
  if (!group.made() || !group.limit(10000)) {
    GTEST_SKIP() << "cannot make a cgroup of the cpu controller and set its quota here (needs root and a writable "
                    "cgroup mount)";
  }
  const int cores = static_cast<int>(switchyard::detail::affinity_cores());
  // cgroup v1 refuses a quota above the parent's: where this test itself
  // runs under one, the cases above it are left out.
  const double parent = switchyard::detail::cgroup_cpu_limit().value_or(1e9);
  struct quota_case {
    long quota_us;
    int threads;
    const char* what;
  };
  for (const quota_case& c : {quota_case{100000, 1, "a quota of one CPU"},
                              quota_case{50000, 1, "half a CPU: one thread, never none"},
                              quota_case{150000, std::min(cores, 2), "1.5 CPUs: rounded up"},
                              quota_case{100000L * (cores + 1), cores, "a quota above the cores"}}) {
    if (static_cast<double>(c.quota_us) / 100000 > parent) continue;
    EXPECT_EQ(engine_threads_under(group, c.quota_us), c.threads) << c.what;
  }
}

TEST(UsableCores, AreAtLeastOneAndAtMostTheAffinity) {
  const unsigned usable = switchyard::detail::usable_cores();
  EXPECT_GE(usable, 1u);
  EXPECT_LE(usable, switchyard::detail::affinity_cores());
}

}  // namespace
