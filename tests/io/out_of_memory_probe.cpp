// Every allocation of an I/O run fails in turn (support/allocation_sweep.hpp).
// Each child must end well: the scenario's result, or the allocation's
// error thrown to the caller, and then the same context runs a task and is
// destroyed. Scenario "io": an offload (the engine and oneTBB started inside
// it), a sleep, a spawned echo server, a connect, a send and receive, a file
// read, when_all. Scenario "coordination": a limiter, an event, when_any, a
// host lookup, a runtime's hops, a spawn from another thread. Scenario
// "http" (where switchyard::http is built): an http::client fetching pages
// from a real nginx, a 404 and a refused connection.
//   io_out_of_memory_probe [SCENARIO...]   (on the backend
//   SWITCHYARD_IO_BACKEND names)
//   io_out_of_memory_probe --only N SCENARIO   (one run, in this process:
//   for a debugger)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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
#include "support/allocation_sweep.hpp"

namespace io = switchyard::io;
using switchyard::task;
using switchyard::testing::allocation_failed;
using switchyard::testing::allocation_scenario;
using switchyard::testing::echo_once;
using switchyard::testing::fail_allocation;
using switchyard::testing::verdict;
using switchyard::testing::went_wrong;
using namespace std::chrono_literals;

namespace {

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
    fail_allocation(n);
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
    // The context goes on after the error.
    const bool failed = allocation_failed();
    return verdict(n, failed, got, expected, [&] {
      auto again = [&]() -> task<int> { co_return co_await io::offload(ctx, [] { return 7; }); };
      return ctx.run(again()) == 7;
    });
  } catch (const std::exception& e) {
    (void)allocation_failed();
    std::fprintf(stderr, "allocation %ld: the context failed after the error: %s\n", n, e.what());
    return went_wrong;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("switchyard-oom-probe-" + std::to_string(::getpid()))).string();
  std::vector<allocation_scenario> scenarios;
  for (const char* name : {"io", "coordination", "http"}) {
    if (std::string(name) == "http" && !SWITCHYARD_PROBE_HTTP) continue;
    scenarios.push_back({name, [name, &path](long n) { return child(name, n, path); }});
  }
#if SWITCHYARD_PROBE_HTTP
  // Started before any child, by this process, which touches none of the
  // library; only where the http scenario may run.
  std::unique_ptr<switchyard::bench::nginx_server> nginx;
  const auto named = [&](const char* name) {
    return std::find_if(argv + 1, argv + argc, [&](const char* a) { return std::string(a) == name; }) != argv + argc;
  };
  if (named("http") || !(named("io") || named("coordination"))) {
    nginx = std::make_unique<switchyard::bench::nginx_server>(
        [](const std::string& root) {
          for (int i = 0; i < 4; ++i) std::ofstream(root + "/page-" + std::to_string(i) + ".html") << "page " << i;
        },
        switchyard::bench::nginx_site{});
    nginx_port = nginx->port();
  }
#endif
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, "abcde", 5) != 5) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
    ::close(fd);
  }
  const int status = sweep_allocations(argc, argv, scenarios);
  std::filesystem::remove(path);
  return status;
}
