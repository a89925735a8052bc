// What the processes suites share: the fixture that starts the pool, counts
// descriptors and /dev/shm entries before each test and checks after it that
// nothing leaked and no worker was left a zombie; and helpers that read
// /proc.
#pragma once

#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "backends/processes/pool.hpp"
#include "core/src/process_stat.hpp"
#include "support/descriptors.hpp"

namespace processes_test {

namespace sy = switchyard;
namespace hooks = switchyard::backends::processes::testing;

inline constexpr sy::options on_processes{.backend = sy::backend::processes};
inline constexpr sy::options on_threads{.backend = sy::backend::threads};

inline std::set<std::string> dev_shm() {
  std::set<std::string> names;
  if (DIR* d = opendir("/dev/shm")) {
    while (dirent* e = readdir(d)) names.insert(e->d_name);
    closedir(d);
  }
  return names;
}

/// A process's state letter from /proc/<pid>/stat ('Z' for a zombie), or 0
/// when there is no such process.
inline char state_of(pid_t pid) {
  const auto stat = switchyard::detail::read_process_stat(pid);
  return stat ? stat->state : 0;
}

/// Children of this process that have exited and were never reaped.
inline std::vector<pid_t> zombie_children() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    const auto stat = switchyard::detail::read_process_stat(pid);
    if (stat && stat->parent == getpid() && stat->state == 'Z') out.push_back(pid);
  }
  closedir(d);
  return out;
}

inline bool maps_contain(pid_t pid, const std::string& what) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(f, line)) {
    if (line.find(what) != std::string::npos) return true;
  }
  return false;
}

template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline sy::shared_array<float> ramp(std::size_t n) {
  sy::shared_array<float> a(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<float>(i % 1000) * 0.25f - 100.0f;
  return a;
}

class Processes : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!sy::availability(sy::backend::processes).available) {
      GTEST_SKIP() << sy::availability(sy::backend::processes).reason;
    }
    // Start the pool first, so the baseline counts its own descriptors.
    {
      const sy::shared_array<float> warm(1 << 18);
      (void)sy::sum(warm, on_processes);
      const std::vector<float> warm_vector(1 << 18);
      (void)sy::sum(warm_vector, on_processes);
    }
    fds_before_ = sy::testing::open_descriptors();
    shm_before_ = dev_shm();
  }
  void TearDown() override {
    hooks::fail_first_shard(0);
    hooks::error_first_shard(0);
    if (IsSkipped()) return;
    EXPECT_TRUE(zombie_children().empty()) << "a worker was left a zombie";
    EXPECT_EQ(sy::testing::leaked_since(fds_before_), "") << "descriptors leaked";
    EXPECT_EQ(dev_shm(), shm_before_) << "something was left in /dev/shm";
  }
  std::multiset<std::string> fds_before_;
  std::set<std::string> shm_before_;
};

}  // namespace processes_test
