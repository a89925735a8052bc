#include "support/allocation_sweep.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace switchyard::testing {

namespace {

using namespace std::chrono_literals;

/// Empty when the child ended with one of its own statuses (then in
/// `status`); else how it went wrong.
std::string run_child(const allocation_scenario& s, long n, int& status) {
  const pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) ::_exit(s.child(n));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  int raw = 0;
  for (;;) {
    if (::waitpid(pid, &raw, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &raw, 0);
      return "hung (killed after 30 s)";
    }
    std::this_thread::sleep_for(1ms);
  }
  if (WIFSIGNALED(raw)) return "killed by signal " + std::to_string(WTERMSIG(raw));
  status = WEXITSTATUS(raw);
  if (status != ran_whole && status != failed_and_went_on) return "exit status " + std::to_string(status);
  return {};
}

/// The runs of one scenario that went wrong, failing allocations first,
/// first + every, ...
int sweep(const allocation_scenario& s, long first, long every) {
  int failures = 0;
  long n = first;
  for (;; n += every) {
    int status = went_wrong;
    if (const std::string why = run_child(s, n, status); !why.empty()) {
      std::printf("%s: allocation %ld failing: %s\n", s.name.c_str(), n, why.c_str());
      std::fflush(stdout);
      ++failures;
      if (status == went_wrong_unfailed) {
        std::printf("%s: it went wrong before that allocation, as every later run would: stopped\n", s.name.c_str());
        break;
      }
    } else if (status == ran_whole) {
      break;
    }
    if (n > 100000) {
      std::printf("%s: still allocating after %ld\n", s.name.c_str(), n);
      ++failures;
      break;
    }
  }
  if (every == 1) {
    std::printf("%s: each of %ld allocations failed in turn\n", s.name.c_str(), n);
  } else {
    std::printf("%s: allocations %ld, %ld, ... of %ld failed in turn\n", s.name.c_str(), first, first + every, n);
  }
  std::fflush(stdout);
  return failures;
}

}  // namespace

int verdict(long n, bool failed, int got, int expected, const std::function<bool()>& goes_on) {
  if (got != expected && (!failed || got != -1)) {
    std::fprintf(stderr, "allocation %ld: the scenario gave %d, not %d (an allocation %s)\n", n, got, expected,
                 failed ? "failed" : "did not fail");
    return failed ? went_wrong : went_wrong_unfailed;
  }
  if (got == -1 && !goes_on()) {
    std::fprintf(stderr, "allocation %ld: what failed does not work again after the error\n", n);
    return went_wrong;
  }
  return failed ? failed_and_went_on : ran_whole;
}

int sweep_allocations(int argc, char** argv, const std::vector<allocation_scenario>& scenarios) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool only = args.size() == 3 && args[0] == "--only";
  long every = 1;
  if (!only && args.size() >= 2 && args[0] == "--every") {
    every = std::max(1L, std::atol(args[1].c_str()));
    args.erase(args.begin(), args.begin() + 2);
  }
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()).time_since_epoch().count();
  const long first = static_cast<long>(day % every);
  std::vector<const allocation_scenario*> chosen;
  for (std::size_t i = only ? 2 : 0; i < args.size(); ++i) {
    const auto it = std::find_if(scenarios.begin(), scenarios.end(),
                                 [&](const allocation_scenario& s) { return s.name == args[i]; });
    if (it == scenarios.end()) {
      std::string names;
      for (const allocation_scenario& s : scenarios) names += (names.empty() ? "" : ", ") + s.name;
      std::fprintf(stderr, "no scenario %s (%s)\n", args[i].c_str(), names.c_str());
      return 1;
    }
    chosen.push_back(&*it);
  }
  if (only) {
    const int status = chosen.front()->child(std::atol(args[1].c_str()));
    std::printf("exit status %d\n", status);
    return status;
  }
  if (chosen.empty()) {
    for (const allocation_scenario& s : scenarios) chosen.push_back(&s);
  }
  int failures = 0;
  for (const allocation_scenario* s : chosen) failures += sweep(*s, first, every);
  std::printf("%d runs went wrong\n", failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace switchyard::testing
