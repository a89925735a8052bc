// What the io suite's two files (io_bench.cpp, io_bench_http.cpp) share:
// its sizes, some of which --quick shrinks, the nginx port and the clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

namespace switchyard::bench::io_suite {

using clock_type = std::chrono::steady_clock;

inline constexpr std::size_t block = 4096;
inline constexpr std::size_t depth = 64;
inline constexpr std::size_t pages = 10'000;
inline constexpr std::size_t connections = 64;

// --quick shrinks these.
inline std::size_t file_bytes = std::size_t{1} << 30;
inline std::size_t reads_per_run = 200'000;
inline std::size_t sweep_requests = 10'000;
inline int peer_seconds = 3;

inline std::uint16_t nginx_port = 0;

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// The HTTP cases against nginx (io_bench_http.cpp).
void register_http(bool quick);
/// static_server against nginx (io_bench_static_server.cpp).
void register_static_server(bool quick);

/// wrk's requests per second on `url` for peer_seconds, `open_connections`
/// connections on as many threads as there are cores (at most); 0 after
/// marking the case failed when wrk did not run.
double wrk_rate(benchmark::State& state, const std::string& url, unsigned open_connections);

}  // namespace switchyard::bench::io_suite
