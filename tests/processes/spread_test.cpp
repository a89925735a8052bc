// Where a call wakes its workers (backends/chunked/spread.hpp): the choice
// from the CPUs they last ran on, and the call that acts on it.
#include <gtest/gtest.h>

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <initializer_list>
#include <memory>
#include <vector>

#include "backends/chunked/spread.hpp"
#include "processes_fixture.hpp"

namespace {

using namespace processes_test;
using switchyard::backends::spread_targets;
using switchyard::backends::spread_wakes;

cpu_set_t cpus(std::initializer_list<int> list) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : list) CPU_SET(c, &set);
  return set;
}

TEST(SpreadTargets, WorkersThatSharedACpuWakeOnCpusNoneOfThemRanOn) {
  EXPECT_EQ(spread_targets(std::vector{0, 0}, cpus({0, 1})), (std::vector{-1, 1}));
  EXPECT_EQ(spread_targets(std::vector{1, 1}, cpus({0, 1})), (std::vector{-1, 0}));
  EXPECT_EQ(spread_targets(std::vector{2, 2, 2, 0}, cpus({0, 1, 2, 3, 4})), (std::vector{-1, 1, 3, -1}));
  EXPECT_EQ(spread_targets(std::vector{5, 3, 5, 3}, cpus({3, 4, 5, 6})), (std::vector{-1, -1, 4, 6}));
}

TEST(SpreadTargets, WorkersApartOrNotYetRunStayWhereTheOsPutsThem) {
  EXPECT_EQ(spread_targets(std::vector{0, 1}, cpus({0, 1})), (std::vector{-1, -1}));
  EXPECT_EQ(spread_targets(std::vector{-1, -1}, cpus({0, 1})), (std::vector{-1, -1}));
  EXPECT_EQ(spread_targets(std::vector{-1, 0, 0}, cpus({0, 1})), (std::vector{-1, -1, 1}));
  EXPECT_EQ(spread_targets(std::vector<int>{}, cpus({0})), std::vector<int>{});
}

TEST(SpreadTargets, OnlyAllowedCpusAreChosenAndNoneTwice) {
  EXPECT_EQ(spread_targets(std::vector{0, 0, 0}, cpus({0, 2})), (std::vector{-1, 2, -1}));
  EXPECT_EQ(spread_targets(std::vector{0, 0}, cpus({0})), (std::vector{-1, -1}));
  // CPU 0 is the lowest allowed, but the third worker ran on it.
  EXPECT_EQ(spread_targets(std::vector{1, 1, 0}, cpus({0, 1, 2})), (std::vector{-1, 2, -1}));
}

TEST(SpreadTargets, AWorkersAffinityIsReadOnlyWhenTwoShareACpu) {
  cpu_set_t mine;
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  int first = 0;
  while (!CPU_ISSET(first, &mine)) ++first;
  EXPECT_TRUE(spread_targets(std::vector{first, first + 1}, getpid()).empty());
  EXPECT_TRUE(spread_targets(std::vector{-1, -1}, getpid()).empty());
  EXPECT_TRUE(spread_targets(std::vector{first, first}, pid_t{-5}).empty()) << "an affinity that cannot be read";
  EXPECT_EQ(spread_targets(std::vector{first, first}, getpid()), spread_targets(std::vector{first, first}, mine));
}

TEST(WakeOnCpu, TwoCallsHoldingOneWorkerGiveBackItsOwnAffinityInEitherOrder) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  if (CPU_COUNT(&allowed) < 2) GTEST_SKIP() << "needs two CPUs to hold a worker to one of; this process may run on one";
  int cpu = 0;
  while (!CPU_ISSET(cpu, &allowed)) ++cpu;
  // A worker: a child process, which may run on every CPU this one may.
  const pid_t worker = fork();
  ASSERT_GE(worker, 0);
  if (worker == 0) {
    pause();
    _exit(0);
  }
  const auto affinity = [&] {
    cpu_set_t mask;
    CPU_ZERO(&mask);
    EXPECT_EQ(sched_getaffinity(worker, sizeof mask, &mask), 0);
    return mask;
  };
  // The second hold ends last, as a call that waited for the first one's
  // workers does: had it moved the worker too, it would give back the first
  // hold's one CPU.
  const int before = spread_wakes.load();
  auto first = std::make_unique<switchyard::backends::wake_on_cpu>(worker, cpu);
  auto second = std::make_unique<switchyard::backends::wake_on_cpu>(worker, cpu);
  EXPECT_EQ(spread_wakes.load() - before, 1) << "a worker another call holds is left where it is";
  const cpu_set_t one = cpus({cpu});
  cpu_set_t now = affinity();
  EXPECT_TRUE(CPU_EQUAL(&now, &one));
  first.reset();
  second.reset();
  now = affinity();
  EXPECT_TRUE(CPU_EQUAL(&now, &allowed)) << "the worker was left pinned";
  // Once given back, the next call may move it again.
  {
    const switchyard::backends::wake_on_cpu again(worker, cpu);
    EXPECT_EQ(spread_wakes.load() - before, 2);
  }
  now = affinity();
  EXPECT_TRUE(CPU_EQUAL(&now, &allowed));
  kill(worker, SIGKILL);
  waitpid(worker, nullptr, 0);
}

/// Restricts every worker to `cpu` while `body` runs, then gives each back
/// the affinity it had.
template <class Body>
void with_workers_on(int cpu, Body body) {
  std::vector<std::pair<pid_t, cpu_set_t>> before;
  for (pid_t pid : hooks::worker_pids()) {
    cpu_set_t mask;
    ASSERT_EQ(sched_getaffinity(pid, sizeof mask, &mask), 0);
    before.emplace_back(pid, mask);
    const cpu_set_t one = cpus({cpu});
    ASSERT_EQ(sched_setaffinity(pid, sizeof one, &one), 0);
  }
  body();
  for (auto& [pid, mask] : before) ASSERT_EQ(sched_setaffinity(pid, sizeof mask, &mask), 0);
}

TEST_F(Processes, WorkersThatLastRanOnOneCpuWakeApartForAnInPlaceCall) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  const int cpu_count = CPU_COUNT(&allowed);
  if (cpu_count < 2 || sy::default_engine().max_threads() < 2) {
    GTEST_SKIP() << "needs two CPUs to spread workers over; this process may run on one (its affinity, or a CPU quota "
                    "of at most one)";
  }
  int first_cpu = 0;
  while (!CPU_ISSET(first_cpu, &allowed)) ++first_cpu;

  const auto workers = hooks::worker_pids();
  ASSERT_GE(workers.size(), 2u) << "the pool starts a worker per usable CPU";
  const auto a = ramp(workers.size() * 4 * (std::size_t{1} << 16));  // four chunks a worker
  const std::vector<float> copy(a.begin(), a.end());
  const float want = sy::sum(copy, on_threads);

  // Every worker runs a call on one CPU, then may run anywhere again.
  with_workers_on(first_cpu, [&] { EXPECT_EQ(sy::sum(a, on_processes), want); });
  const int before = spread_wakes.load();
  EXPECT_EQ(sy::sum(a, on_processes), want);
  const int expected = static_cast<int>(std::min<std::size_t>(workers.size(), static_cast<std::size_t>(cpu_count))) - 1;
  EXPECT_EQ(spread_wakes.load() - before, expected) << "all but one of the workers woken on CPUs of their own";
  for (pid_t pid : hooks::worker_pids()) {
    cpu_set_t mask;
    ASSERT_EQ(sched_getaffinity(pid, sizeof mask, &mask), 0);
    EXPECT_TRUE(CPU_EQUAL(&mask, &allowed)) << "worker " << pid << " was left pinned";
  }

  // A call that copies its input leaves them where the OS puts them: the
  // parent's copy needs a core too.
  with_workers_on(first_cpu, [&] { EXPECT_EQ(sy::sum(a, on_processes), want); });
  const int before_copying = spread_wakes.load();
  EXPECT_EQ(sy::sum(copy, on_processes), want);
  EXPECT_EQ(spread_wakes.load(), before_copying);
}

}  // namespace
