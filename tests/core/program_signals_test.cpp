// A program that blocks SIGTERM in its own thread, after switchyard has
// started threads of its own, and takes it from a signalfd: the usual way
// to shut down cleanly. The kernel gives a signal sent to the process to a
// thread that does not block it, so a library thread with SIGTERM open was
// the one killed (the default action ends the whole process). Each case
// runs in a child process, forked while this one has a single thread, which
// starts the library's threads, checks their signal masks in /proc, then
// sends itself SIGTERM and reads it back from the signalfd.
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <switchyard/io.hpp>
#include <switchyard/switchyard.hpp>

#include "support/in_a_child.hpp"

namespace {

namespace fs = std::filesystem;
namespace sy = switchyard;
namespace io = switchyard::io;

/// A thread's blocked signals, from /proc (bit n-1 for signal n).
std::optional<unsigned long long> blocked_of(const fs::path& task) {
  std::ifstream in(task / "status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return std::nullopt;
}

bool has(unsigned long long mask, int signal) { return (mask >> (signal - 1)) & 1; }

/// What is wrong with the masks of the threads other than this one; empty
/// when every one blocks the program's signals and at least `at_least` of
/// them (the library's: a sanitizer's own may block all) leave the faults
/// and SIGPROF open.
std::string masks_wrong(int at_least) {
  std::string wrong, seen;
  int open_faults = 0;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    if (task.path().filename() == std::to_string(gettid())) continue;
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("iou-", 0) == 0) continue;  // io_uring's kernel workers take no signal
    const auto mask = blocked_of(task.path());
    if (!mask) continue;  // the thread ended meanwhile
    char hex[32];
    std::snprintf(hex, sizeof hex, "%llx", *mask);
    seen += " " + name + ":" + hex;
    for (const int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGPIPE}) {
      if (!has(*mask, s)) wrong += "thread " + name + " has " + sigabbrev_np(s) + " open; ";
    }
    if (!has(*mask, SIGSEGV) && !has(*mask, SIGBUS) && !has(*mask, SIGPROF)) ++open_faults;
  }
  if (open_faults < at_least) {
    wrong += std::to_string(open_faults) + " threads leave SIGSEGV, SIGBUS and SIGPROF open, not " +
             std::to_string(at_least) + " (threads:" + seen + "); ";
  }
  return wrong;
}

/// The program's part: SIGTERM blocked here and taken from a signalfd, 50
/// times. A library thread with it open is killed by the first one.
std::string take_sigterm_from_a_signalfd() {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &term, nullptr) != 0) return "pthread_sigmask failed";
  const int fd = signalfd(-1, &term, SFD_CLOEXEC);
  if (fd < 0) return std::string("signalfd: ") + std::strerror(errno);
  for (int i = 0; i < 50; ++i) {
    kill(getpid(), SIGTERM);
    signalfd_siginfo info;
    if (read(fd, &info, sizeof info) != sizeof info) return std::string("signalfd read: ") + std::strerror(errno);
  }
  close(fd);
  return {};
}

/// In a child process: `start` (which starts the library's threads and
/// returns what keeps them), the masks checked, then SIGTERM taken from a
/// signalfd. What went wrong, or empty.
std::string in_a_child(const std::function<std::shared_ptr<void>()>& start, int library_threads) {
  return sy::test::in_a_child(
      [&] {
        const std::shared_ptr<void> keep = start();
        // A thread just made runs with every signal blocked until glibc sets
        // the mask it was made with: look again for a while.
        std::string wrong;
        for (int tries = 0; tries < 200 && !(wrong = masks_wrong(library_threads)).empty(); ++tries) usleep(10'000);
        return wrong.empty() ? take_sigterm_from_a_signalfd() : wrong;
      },
      std::chrono::seconds(60));
}

/// `make` with SWITCHYARD_IO_BACKEND set to `backend` in the child.
std::function<std::shared_ptr<void>()> on(const char* backend, std::function<std::shared_ptr<void>()> make) {
  return [backend, make = std::move(make)] {
    setenv("SWITCHYARD_IO_BACKEND", backend, 1);
    return make();
  };
}

TEST(ProgramSignals, StayOffAnIoRuntimesThreads) {
  for (const char* backend : {"uring", "fallback"}) {
    const auto runtime = [] { return std::shared_ptr<void>(std::make_shared<io::runtime>(2)); };
    // uring may be refused here (a container's seccomp): the runtime then runs on the fallback, as tested too.
    EXPECT_EQ(in_a_child(on(backend, runtime), 2), "") << backend;
  }
}

TEST(ProgramSignals, StayOffTheFallbacksFileThreads) {
  const auto context = [] { return std::shared_ptr<void>(std::make_shared<io::context>()); };
  EXPECT_EQ(in_a_child(on("fallback", context), 1), "");
}

TEST(ProgramSignals, StayOffOneTbbsWorkersForASum) {
  const auto sum = [] {
    auto engine = std::make_shared<sy::engine>(sy::engine_config{.max_threads = 2});
    const std::vector<float> v(std::size_t{1} << 22, 1.0f);
    if (sy::sum(v, {.backend = sy::backend::threads, .engine = engine.get()}) != float(v.size())) {
      throw std::runtime_error("the sum is wrong");
    }
    return std::shared_ptr<void>(engine);
  };
  // On one core the arena has no worker to look at; the signalfd part still runs.
  cpu_set_t cpus;
  const bool two = sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) >= 2;
  EXPECT_EQ(in_a_child(sum, two ? 1 : 0), "");
}

TEST(ProgramSignals, StayOffOneTbbsWorkersForAnOffload) {
  const auto offload = [] {
    auto ctx = std::make_shared<io::context>();
    const long s = ctx->run([](io::context& c) -> sy::task<long> {
      co_return co_await io::offload(c, [] { return 42L; });
    }(*ctx));
    if (s != 42) throw std::runtime_error("the offload's result is wrong");
    return std::shared_ptr<void>(ctx);
  };
  EXPECT_EQ(in_a_child(on("uring", offload), 1), "");
}

}  // namespace
