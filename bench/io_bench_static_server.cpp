// The io suite's static_server cases (issue 16): examples/static_server on
// io::runtime against nginx with 2 workers and sendfile, serving the same
// 100 files of 4 KiB from one folder, each loaded by wrk -c64 (a thread per
// core) for peer_seconds, nginx right after ours.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <benchmark/benchmark.h>

#include <switchyard/io.hpp>

#include "nginx/nginx.hpp"
#include "io_bench.hpp"
#include "support/run_program.hpp"

namespace switchyard::bench::io_suite {
namespace {

constexpr int files = 100;
constexpr std::size_t file_bytes_each = 4096;
constexpr unsigned open_connections = 64;

void write_files(const std::string& root) {
  std::mt19937_64 rng(7);
  std::string bytes(file_bytes_each, '\0');
  for (int i = 0; i < files; ++i) {
    for (auto& b : bytes) b = static_cast<char>('a' + rng() % 26);
    std::ofstream(root + "/page-" + std::to_string(i) + ".html", std::ios::binary) << bytes;
  }
}

/// static_server as a child process on `root`, until the object goes
/// (SIGTERM, then waited for).
class static_server_process {
 public:
  static_server_process(const std::string& root, unsigned contexts) {
    const int out = spawn_reading_output({STATIC_SERVER, root, "--contexts", std::to_string(contexts)}, pid_);
    // Its first line: "listening on 127.0.0.1:PORT".
    std::string line;
    char c;
    while (out >= 0 && ::read(out, &c, 1) == 1 && c != '\n') line += c;
    if (out >= 0) ::close(out);
    const auto colon = line.rfind(':');
    if (out < 0 || line.rfind("listening on ", 0) != 0 || colon == std::string::npos) {
      stop();
      throw std::runtime_error("static_server did not start (" + line + ")");
    }
    port_ = static_cast<std::uint16_t>(std::stoul(line.substr(colon + 1)));
  }
  ~static_server_process() { stop(); }
  static_server_process(const static_server_process&) = delete;
  static_server_process& operator=(const static_server_process&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  void stop() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

/// nginx (2 workers, sendfile), started on first use and kept for the run.
nginx_server& the_nginx() {
  static const std::unique_ptr<nginx_server> server = [] {
    nginx_site site;
    site.workers = 2;
    site.http_lines = "  sendfile on;";
    return std::make_unique<nginx_server>(write_files, site);
  }();
  return *server;
}

std::string url(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port) + "/page-7.html"; }

void serve_static_server(benchmark::State& state) {
  std::unique_ptr<static_server_process> server;
  try {
    server = std::make_unique<static_server_process>(the_nginx().root(), static_cast<unsigned>(state.range(0)));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  double rps = 0;
  for (auto _ : state) {
    rps = wrk_rate(state, url(server->port()), open_connections);
    if (rps <= 0) return;
    state.SetIterationTime(1 / rps);
  }
  state.counters["req_per_s"] = rps;
}

void serve_nginx(benchmark::State& state) {
  std::uint16_t port = 0;
  try {
    port = the_nginx().port();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  double rps = 0;
  for (auto _ : state) {
    rps = wrk_rate(state, url(port), open_connections);
    if (rps <= 0) return;
    state.SetIterationTime(1 / rps);
  }
  state.counters["req_per_s"] = rps;
}

}  // namespace

void register_static_server(bool quick) {
  const unsigned cores = static_cast<unsigned>(io::runtime(0).size());
  auto* ours = benchmark::RegisterBenchmark("static_server/switchyard", serve_static_server)->ArgName("contexts");
  ours->Arg(cores);
  if (cores != 1) ours->Arg(1);
  ours->Iterations(1)->UseManualTime();
  auto* peer = benchmark::RegisterBenchmark("static_server/nginx_2_workers", serve_nginx)->Iterations(1)->UseManualTime();
  if (quick) {
    ours->Repetitions(1);
    peer->Repetitions(1);
  }
}

}  // namespace switchyard::bench::io_suite
