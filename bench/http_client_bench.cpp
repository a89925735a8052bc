// switchyard::http beside the tools a user would otherwise pick, in one run:
// 10,000 pages of 4 KiB (2,000 with --quick) from one nginx over 64
// keep-alive connections through http::client (curl on the loop), through
// the hand-written raw-socket client (bench/baseline/http), through Python
// asyncio streams (peers/seed_fetch.py) and by wrk (-t2 -c64, timed);
// and 1,000 HTTPS fetches at once from an nginx of its own with a
// certificate made by the openssl command, with the memory they took.
// Alone, against the pages fetch_pages make-pages writes:
//   examples/run_with_nginx.sh build/release/bin/fetch_pages 10000 4096 --
//     build/release/bin/http_client_bench --nginx-port PORT
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <switchyard/http.hpp>
#include <switchyard/io.hpp>

#include "nginx/nginx.hpp"
#include "http/fetch_many.hpp"
#include "support/run_program.hpp"
#include "support/suite_main.hpp"

namespace io = switchyard::io;
namespace sb = switchyard::bench;
using switchyard::task;
using clock_type = std::chrono::steady_clock;

namespace {

std::uint16_t nginx_port = 0;
std::size_t pages = 10'000;
constexpr std::size_t in_flight = 64;
constexpr std::size_t page_bytes = 4096;

std::string page_url(std::size_t i) {
  return "http://127.0.0.1:" + std::to_string(nginx_port) + "/page-" + std::to_string(i) + ".html";
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

void count_requests(benchmark::State& state, std::size_t each) {
  state.counters["req_per_s"] = benchmark::Counter(double(each) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void curl_on_the_loop(benchmark::State& state) {
  io::context ctx;
  for (auto _ : state) {
    auto run = [&]() -> task<std::size_t> {
      switchyard::http::client web(ctx, {.max_in_flight = in_flight});
      // Each page's size, as the raw-socket client below keeps: not 40 MB of bodies.
      auto one = [&](std::size_t i) -> task<std::size_t> {
        const switchyard::http::response r = co_await web.get(page_url(i));
        co_return r.status == 200 ? r.body.size() : 0;
      };
      std::vector<task<std::size_t>> all;
      for (std::size_t i = 0; i < pages; ++i) all.push_back(one(i));
      std::size_t bytes = 0;
      for (auto s : co_await io::when_all(std::move(all))) bytes += s;
      co_return bytes;
    };
    const auto t0 = clock_type::now();
    const std::size_t bytes = ctx.run(run());
    state.SetIterationTime(seconds_since(t0));
    if (bytes != pages * page_bytes) state.SkipWithError("wrong number of bytes");
  }
  count_requests(state, pages);
}

void raw_socket_client(benchmark::State& state) {
  io::context ctx;
  for (auto _ : state) {
    std::vector<std::string> targets;
    for (std::size_t i = 0; i < pages; ++i) targets.push_back("/page-" + std::to_string(i) + ".html");
    const auto t0 = clock_type::now();
    const std::size_t bytes = ctx.run(::http::fetch_many(ctx, nginx_port, in_flight, std::move(targets)));
    state.SetIterationTime(seconds_since(t0));
    if (bytes != pages * page_bytes) state.SkipWithError("wrong number of bytes");
  }
  count_requests(state, pages);
}

void python_asyncio(benchmark::State& state) {
  for (auto _ : state) {
    const std::string text = sb::output_of({"/usr/bin/python3", SEED_FETCH_PEER, "asyncio_streams", std::to_string(nginx_port),
                                            std::to_string(pages), std::to_string(page_bytes), std::to_string(in_flight)});
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.value("checked", false)) {
      state.SkipWithError(("the Python peer printed: " + text.substr(0, 300)).c_str());
      return;
    }
    state.SetIterationTime(doc.value("seconds", 0.0));
  }
  count_requests(state, pages);
}

void wrk(benchmark::State& state) {
  double rps = 0;
  for (auto _ : state) {
    const std::string text = sb::output_of({"wrk", "-t2", "-c" + std::to_string(in_flight), "-d3s", page_url(0)});
    const auto at = text.find("Requests/sec:");
    if (at == std::string::npos) {
      state.SkipWithError(("wrk did not run: " + text).c_str());
      return;
    }
    rps = std::stod(text.substr(at + 13));
    state.SetIterationTime(double(pages) / rps);
  }
  state.counters["req_per_s"] = rps;
}

/// This process's resident memory, from /proc/self/status (kB).
double status_kib(const std::string& field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1));
  }
  return 0;
}

void https_thousand_at_once(benchmark::State& state) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("switchyard-https-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string make = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                           "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout " + key + " -out " + cert +
                           " 2>/dev/null";
  if (std::system(make.c_str()) != 0) {
    state.SkipWithError("the openssl command did not make a certificate");
    return;
  }
  fs::permissions(dir, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
  sb::nginx_site site;
  site.tls_certificate = cert;
  site.tls_key = key;
  sb::nginx_server server([](const std::string& root) { std::ofstream(root + "/page.html") << std::string(page_bytes, 'x'); },
                          site);
  const std::string url = "https://localhost:" + std::to_string(server.tls_port()) + "/page.html";
  constexpr std::size_t fetches = 1000;
  double rss_before = 0, rss_peak = 0;
  io::context ctx;
  for (auto _ : state) {
    rss_before = status_kib("VmRSS");
    auto run = [&]() -> task<std::size_t> {
      switchyard::http::client web(ctx, {.max_in_flight = fetches, .ca_file = cert});
      std::vector<task<switchyard::http::response>> all;
      for (std::size_t i = 0; i < fetches; ++i) all.push_back(web.get(url));
      std::size_t ok = 0;
      for (const auto& r : co_await io::when_all(std::move(all))) ok += r.status == 200 && r.body.size() == page_bytes;
      rss_peak = status_kib("VmRSS");  // while the client still holds its 1,000 connections
      co_return ok;
    };
    const auto t0 = clock_type::now();
    const std::size_t ok = ctx.run(run());
    state.SetIterationTime(seconds_since(t0));
    if (ok != fetches) state.SkipWithError("not every HTTPS fetch came back whole");
  }
  fs::remove_all(dir);
  count_requests(state, fetches);
  state.counters["rss_growth_MiB"] = (rss_peak - rss_before) / 1024.0;
  state.counters["rss_MiB"] = rss_peak / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  return sb::suite_main(
      argc, argv, "http_client_bench: switchyard::http beside a raw-socket client, Python asyncio and wrk",
      {.nginx_port = true},
      [](const sb::suite_settings& settings) {
        nginx_port = settings.nginx_port;
        if (settings.quick) pages = 2'000;
        const int rounds = settings.quick ? 1 : 3;
        if (nginx_port != 0) {
          benchmark::RegisterBenchmark("http_64/switchyard_http", curl_on_the_loop)->Iterations(rounds)->UseManualTime();
          benchmark::RegisterBenchmark("http_64/raw_socket_client", raw_socket_client)->Iterations(rounds)->UseManualTime();
          benchmark::RegisterBenchmark("http_64/python_asyncio_streams", python_asyncio)->Iterations(1)->UseManualTime();
          benchmark::RegisterBenchmark("http_64/wrk", wrk)->Iterations(1)->UseManualTime();
        }
        benchmark::RegisterBenchmark("https_1000_at_once/switchyard_http", https_thousand_at_once)
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
        return 0;
      });
}
