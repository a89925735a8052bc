// Every allocation of an I/O run fails in turn: for n = 0, 1, 2, ... a
// child process (forked from this one, which has touched none of the
// library) runs a scenario with its n-th allocation failing, until a run
// makes fewer than n. Each child must end well: the scenario's result, or
// the allocation's error thrown to the caller, and then the same context
// runs a task and is destroyed. A crash, an abort (an exception that met a
// noexcept frame or a thread's end) or a hang (30 s) is a failure, named by
// its n. Scenario "io": an offload (the engine and oneTBB started inside
// it), a sleep, a spawned echo server, a connect, a send and receive, a
// file read, when_all. Scenario "coordination": a limiter, an event,
// when_any, a host lookup, a runtime's hops, a spawn from another thread.
// Scenario "http" (where switchyard::http is built): an http::client
// fetching pages from a real nginx, a 404 and a refused connection.
//   io_out_of_memory_probe [SCENARIO...]   (on the backend
//   SWITCHYARD_IO_BACKEND names)
//   io_out_of_memory_probe --only N SCENARIO   (one run, in this process:
//   for a debugger)
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <switchyard/io.hpp>
#if SWITCHYARD_PROBE_HTTP
#include <fstream>

#include <switchyard/http.hpp>

#include "nginx/nginx.hpp"
#endif

#include "io/io_support.hpp"
#include "support/failing_allocations.hpp"

namespace io = switchyard::io;
using switchyard::task;
using switchyard::testing::echo_once;
using switchyard::testing::fail_allocation_after;
using namespace std::chrono_literals;

namespace {

/// What a child says by its exit status (apart from a sanitizer's 1 or 66).
enum : int { ran_whole = 0, failed_and_went_on = 10, wrong = 11 };

task<int> io_scenario(io::context& ctx, const std::string& path) {
  int score = co_await io::offload(ctx, [] { return 1; });
  co_await io::sleep_for(ctx, 1ms);
  io::socket listener = io::socket::listen(ctx);
  const std::uint16_t port = listener.local_port();
  ctx.spawn(echo_once(std::move(listener)));
  io::socket s = co_await io::socket::connect(ctx, "127.0.0.1", port);
  const std::string hello = "hello";
  co_await s.send_all(std::as_bytes(std::span(hello)));
  std::string back(hello.size(), '\0');
  co_await s.recv_exact(std::as_writable_bytes(std::span(back)));
  if (back == hello) score += 10;
  co_await s.shutdown();
  co_await s.close();
  io::file f = co_await io::file::open(ctx, path, O_RDONLY);
  std::string got(5, '\0');
  if (co_await f.read_at(std::as_writable_bytes(std::span(got)), 0) == 5 && got == "abcde") score += 100;
  co_await f.close();
  auto sleeper = [&](int i) -> task<int> {
    co_await io::sleep_for(ctx, std::chrono::milliseconds(i));
    co_return i;
  };
  std::vector<task<int>> all;
  for (int i = 0; i < 4; ++i) all.push_back(sleeper(i));
  for (const int v : co_await io::when_all(std::move(all))) score += v * 1000;
  co_return score;  // 6111
}

task<int> coordination_scenario(io::context& ctx) {
  int score = 0;
  io::limiter places(ctx, 2);
  io::event go(ctx);
  auto worker = [&](int i) -> task<int> {
    const io::limiter::permit p = co_await places.acquire();
    co_await go.wait();
    co_await io::sleep_for(ctx, std::chrono::milliseconds(i % 3));
    co_return i;
  };
  auto starter = [&]() -> task<int> {
    co_await io::sleep_for(ctx, 1ms);
    go.set();
    co_return 0;
  };
  std::vector<task<int>> all;
  for (int i = 1; i <= 5; ++i) all.push_back(worker(i));
  all.push_back(starter());
  for (const int v : co_await io::when_all(std::move(all))) score += v;
  auto slow = [&]() -> task<int> {
    co_await io::sleep_for(ctx, 10s);
    co_return 1;
  };
  auto fast = [&]() -> task<int> {
    co_await io::sleep_for(ctx, 1ms);
    co_return 2;
  };
  std::vector<task<int>> race;
  race.push_back(slow());
  race.push_back(fast());
  const auto [index, v] = co_await io::when_any(std::move(race));
  if (index == 1 && v == 2) score += 100;
  if (!(co_await io::resolve(ctx, "localhost", 80)).empty()) score += 1000;
  co_return score;  // 1115
}

task<int> hops(io::runtime& rt) {
  co_await rt.switch_to(1);
  int score = io::runtime::current() == &rt.at(1) ? 1 : 0;
  auto here = []() -> task<int> { co_return 10; };
  score += co_await rt.on(0, here());
  co_await rt.switch_to(0);
  co_return score;  // 11
}

task<void> count_one(std::atomic<int>& count) {
  count.fetch_add(1);
  co_return;
}

#if SWITCHYARD_PROBE_HTTP
std::uint16_t nginx_port = 0;  // set by the parent before it forks

task<int> http_scenario(io::context& ctx) {
  namespace http = switchyard::http;
  http::client web(ctx, {.max_in_flight = 2});
  const std::string base = "http://127.0.0.1:" + std::to_string(nginx_port);
  auto page = [&](int i) -> task<int> {
    const http::response r = co_await web.get(base + "/page-" + std::to_string(i) + ".html");
    co_return r.status == 200 && r.body == "page " + std::to_string(i) ? 1 : 0;
  };
  std::vector<task<int>> all;
  for (int i = 0; i < 4; ++i) all.push_back(page(i));
  int score = 0;
  for (const int v : co_await io::when_all(std::move(all))) score += v;
  if ((co_await web.get(base + "/none.html")).status == 404) score += 10;
  try {
    (void)co_await web.get("http://127.0.0.1:1/");
  } catch (const std::system_error&) {
    score += 100;  // refused
  }
  co_return score;  // 114
}
#endif

/// The scenario with allocation n failing; the child's exit status.
int child(const std::string& scenario, long n, const std::string& path) {
  try {
    io::context ctx;
    int expected = 0, got = 0;
    fail_allocation_after.store(n);
    try {
      if (scenario == "io") {
        expected = 6111;
        got = ctx.run(io_scenario(ctx, path));
#if SWITCHYARD_PROBE_HTTP
      } else if (scenario == "http") {
        expected = 114;
        got = ctx.run(http_scenario(ctx));
#endif
      } else {
        expected = 1115 + 110000 + 1000000;
        got = ctx.run(coordination_scenario(ctx));
        io::runtime rt(2);
        got += rt.run(hops(rt)) * 10000;
        // A task spawned from another thread runs, or its failure to start
        // is heard: by the spawner, or by the context's spawn-error handler.
        std::atomic<int> spawned{0};
        std::atomic<bool> lost{false};
        ctx.on_spawn_error([&](std::exception_ptr) { lost = true; });
        std::thread other([&] {
          try {
            ctx.spawn(count_one(spawned));
          } catch (const std::exception&) {
            lost = true;
          }
        });
        other.join();
        got += ctx.run([](std::atomic<int>& c, std::atomic<bool>& gone, io::context& on) -> task<int> {
          while (c.load() == 0 && !gone.load()) co_await io::sleep_for(on, 1ms);
          co_return c.load() == 1 ? 1000000 : 0;
        }(spawned, lost, ctx));
        if (lost) got = -1;
      }
    } catch (const std::exception&) {
      got = -1;
    }
    const bool failed = fail_allocation_after.exchange(-1) < 0;
    if (!failed && got != expected) {
      std::fprintf(stderr, "allocation %ld: no allocation failed, and the scenario gave %d, not %d\n", n, got, expected);
      return wrong;
    }
    if (failed && got == -1) {
      // The context goes on after the error.
      auto again = [&]() -> task<int> { co_return co_await io::offload(ctx, [] { return 7; }); };
      if (ctx.run(again()) != 7) return wrong;
    }
    return failed ? failed_and_went_on : ran_whole;
  } catch (const std::exception& e) {
    fail_allocation_after.store(-1);
    std::fprintf(stderr, "allocation %ld: the context failed after the error: %s\n", n, e.what());
    return wrong;
  }
}

/// The child's exit status, or a description of how it went wrong.
std::string run_child(const std::string& scenario, long n, const std::string& path, int& status) {
  const pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) ::_exit(child(scenario, n, path));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  int raw = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &raw, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &raw, 0);
      return "hung (killed after 30 s)";
    }
    std::this_thread::sleep_for(1ms);
  }
  if (WIFSIGNALED(raw)) return std::string("killed by signal ") + std::to_string(WTERMSIG(raw));
  status = WEXITSTATUS(raw);
  if (status != ran_whole && status != failed_and_went_on) return "exit status " + std::to_string(status);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  const bool only = argc == 4 && std::string(argv[1]) == "--only";
  std::vector<std::string> scenarios;
  for (int i = only ? 3 : 1; i < argc; ++i) scenarios.emplace_back(argv[i]);
  if (scenarios.empty()) {
    scenarios = {"io", "coordination"};
    if (SWITCHYARD_PROBE_HTTP) scenarios.emplace_back("http");
  }
#if SWITCHYARD_PROBE_HTTP
  // Started before any child, by this process, which touches none of the library.
  std::unique_ptr<switchyard::bench::nginx_server> nginx;
  if (std::find(scenarios.begin(), scenarios.end(), "http") != scenarios.end()) {
    nginx = std::make_unique<switchyard::bench::nginx_server>(
        [](const std::string& root) {
          for (int i = 0; i < 4; ++i) std::ofstream(root + "/page-" + std::to_string(i) + ".html") << "page " << i;
        },
        switchyard::bench::nginx_site{});
    nginx_port = nginx->port();
  }
#endif
  const std::string path =
      (std::filesystem::temp_directory_path() / ("switchyard-oom-probe-" + std::to_string(::getpid()))).string();
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, "abcde", 5) != 5) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
    ::close(fd);
  }
  if (only) {
    const int status = child(scenarios.front(), std::atol(argv[2]), path);
    std::filesystem::remove(path);
    std::printf("exit status %d\n", status);
    return status;
  }
  int failures = 0;
  for (const std::string& scenario : scenarios) {
    if (scenario != "io" && scenario != "coordination" && (scenario != "http" || !SWITCHYARD_PROBE_HTTP)) {
      std::fprintf(stderr, "no scenario %s (io, coordination%s)\n", scenario.c_str(),
                   SWITCHYARD_PROBE_HTTP ? ", http" : "");
      return 1;
    }
    long n = 0;
    for (;; ++n) {
      int status = wrong;
      const std::string why = run_child(scenario, n, path, status);
      if (!why.empty()) {
        std::printf("%s: allocation %ld failing: %s\n", scenario.c_str(), n, why.c_str());
        ++failures;
      } else if (status == ran_whole) {
        break;
      }
      if (n > 100000) {
        std::printf("%s: still allocating after %ld\n", scenario.c_str(), n);
        ++failures;
        break;
      }
    }
    std::printf("%s: each of %ld allocations failed in turn\n", scenario.c_str(), n);
  }
  std::filesystem::remove(path);
  std::printf("%d runs went wrong\n", failures);
  return failures == 0 ? 0 : 1;
}
