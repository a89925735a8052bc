// The measured half of the capability report. Each measurement says its unit
// and method; bandwidths are best-of-n (STREAM's rule), latencies medians.
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <liburing.h>
#include <switchyard/switchyard.hpp>

#include "bench/caps/caps.hpp"
#include "bench/caps/text.hpp"
#include "bench/support/huge_array.hpp"
#include "bench/support/median.hpp"
#include "kernels/common/chunking.hpp"
#include "core/src/engine_state.hpp"
#include "core/src/gpu_report.hpp"

namespace switchyard::caps {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

using bench::median;

/// A page-touched array of ones, on huge pages where the kernel grants them.
bench::huge_array ones(std::size_t bytes) {
  return bench::huge_array(bytes, [](std::size_t) { return 1.0f; });
}

/// Seconds for `calls` back-to-back calls of sum_once (a float sum).
template <class Sum>
double seconds_for(int calls, Sum&& sum_once) {
  volatile float sink = 0;
  const auto t0 = clock_type::now();
  for (int i = 0; i < calls; ++i) sink = sink + sum_once();
  return seconds_since(t0);
}

/// Seconds for each of `reps` runs of `inner` back-to-back sums of v.
std::vector<double> time_sums(std::span<const float> v, const options& o, int reps, int inner) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) t.push_back(seconds_for(inner, [&] { return sum(v, o); }));
  return t;
}

/// The bandwidth of each of reps fast float sums on one backend, in GB/s.
std::vector<double> sum_bandwidths(std::span<const float> v, backend b, int reps, int inner) {
  std::vector<double> gbs;
  for (double t : time_sums(v, {.backend = b, .accuracy = accuracy::fast}, reps, inner)) {
    gbs.push_back(double(v.size_bytes()) * inner / t / 1e9);
  }
  return gbs;
}

/// Fast float sums of v on one backend, each followed by a sum in the
/// default accuracy: the fast sums' bandwidths (GB/s), and each pair's
/// default time over fast time. Alternating puts a slow spell of a shared
/// machine on both sides of a ratio.
struct fast_and_default_sums {
  std::vector<double> fast_gbs;
  std::vector<double> default_over_fast;
};

fast_and_default_sums alternate_sums(std::span<const float> v, backend b, int reps) {
  fast_and_default_sums out;
  for (int r = 0; r < reps; ++r) {
    const double fast = time_sums(v, {.backend = b, .accuracy = accuracy::fast}, 1, 1)[0];
    const double accurate = time_sums(v, {.backend = b}, 1, 1)[0];
    out.fast_gbs.push_back(double(v.size_bytes()) / fast / 1e9);
    out.default_over_fast.push_back(accurate / fast);
  }
  return out;
}

/// STREAM's rule for a bandwidth: the best of the repetitions; the spread is
/// their range.
measurement best_of(std::string name, std::string group, const std::vector<double>& gbs, std::string method) {
  const auto [low, high] = std::minmax_element(gbs.begin(), gbs.end());
  return {std::move(name), std::move(group), *high, "GB/s", true, std::move(method), *low, *high};
}

long long last_level_cache_bytes(const nlohmann::json& facts) {
  long long llc = 0;
  for (const auto& c : facts["cpu"]["caches"]) llc = std::max<long long>(llc, c["size_bytes"].get<long long>());
  return llc > 0 ? llc : 32ll << 20;
}

long long cache_bytes(const nlohmann::json& facts, int level, long long fallback) {
  for (const auto& c : facts["cpu"]["caches"]) {
    if (c["level"] == level && c["type"] != "Instruction") return c["size_bytes"].get<long long>();
  }
  return fallback;
}

std::vector<double> thread_create_join_us(int n) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    const auto t0 = clock_type::now();
    std::thread([] {}).join();
    t.push_back(seconds_since(t0) * 1e6);
  }
  return t;
}

std::vector<double> fork_wait_us(int n) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    const auto t0 = clock_type::now();
    const pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) return {};
    int status = 0;
    waitpid(pid, &status, 0);
    t.push_back(seconds_since(t0) * 1e6);
  }
  return t;
}

/// A byte to a forked child and back over pipes: what handing a small job to
/// a live worker process and hearing back costs.
std::vector<double> worker_round_trip_us(int n) {
  int to_child[2], to_parent[2];
  if (pipe(to_child) != 0) return {};
  if (pipe(to_parent) != 0) {
    close(to_child[0]);
    close(to_child[1]);
    return {};
  }
  const pid_t pid = fork();
  if (pid == 0) {
    // Only our own ends stay open, or read() would never see the parent's EOF.
    close(to_child[1]);
    close(to_parent[0]);
    char c;
    while (read(to_child[0], &c, 1) == 1) {
      if (write(to_parent[1], &c, 1) != 1) break;
    }
    _exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  std::vector<double> t;
  char c = 'x';
  for (int i = 0; i < n && pid > 0; ++i) {
    const auto t0 = clock_type::now();
    if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1) break;
    t.push_back(seconds_since(t0) * 1e6);
  }
  close(to_child[1]);
  close(to_parent[0]);
  if (pid > 0) waitpid(pid, nullptr, 0);
  return t;
}

long futex(std::atomic<int>* word, int op, int value) {
  return syscall(SYS_futex, reinterpret_cast<int*>(word), op, value, nullptr, nullptr, 0);
}

/// Two threads pinned to one CPU hand a token back and forth through a futex:
/// every hand-off is a sleep, a wake-up and a switch.
double context_switch_ns(int round_trips) {
  std::atomic<int> token{0};
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  auto pass = [&](int mine, int next, int n) {
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    for (int i = 0; i < n; ++i) {
      while (token.load(std::memory_order_acquire) != mine) futex(&token, FUTEX_WAIT_PRIVATE, 1 - mine);
      token.store(next, std::memory_order_release);
      futex(&token, FUTEX_WAKE_PRIVATE, 1);
    }
  };
  cpu_set_t before;
  pthread_getaffinity_np(pthread_self(), sizeof before, &before);
  const auto t0 = clock_type::now();
  std::thread other([&] { pass(1, 0, round_trips); });
  pass(0, 1, round_trips);
  other.join();
  const double s = seconds_since(t0);
  pthread_setaffinity_np(pthread_self(), sizeof before, &before);
  return s * 1e9 / (2.0 * round_trips);
}

struct resumable {
  struct promise_type {
    resumable get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> handle;
};

resumable spinner() {
  for (;;) co_await std::suspend_always{};
}

double coroutine_resume_ns(int n) {
  const resumable r = spinner();
  const auto t0 = clock_type::now();
  for (int i = 0; i < n; ++i) r.handle.resume();
  const double s = seconds_since(t0);
  r.handle.destroy();
  return s * 1e9 / n;
}

/// A NOP submitted and its completion reaped, one at a time.
double uring_nop_ns(int n) {
  io_uring ring{};
  if (io_uring_queue_init(8, &ring, 0) < 0) return -1;
  const auto t0 = clock_type::now();
  for (int i = 0; i < n; ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_nop(sqe);
    io_uring_submit(&ring);
    io_uring_cqe* cqe = nullptr;
    io_uring_wait_cqe(&ring, &cqe);
    io_uring_cqe_seen(&ring, cqe);
  }
  const double s = seconds_since(t0);
  io_uring_queue_exit(&ring);
  return s * 1e9 / n;
}

/// Seconds per float sum (default accuracy) of `sum_once` over `bytes`,
/// averaged over back-to-back calls of about 32 MiB of input in all.
template <class Sum>
double seconds_per_sum(std::size_t bytes, Sum&& sum_once) {
  const int calls = static_cast<int>(std::max<std::size_t>(1, (std::size_t{32} << 20) / bytes));
  return seconds_for(calls, sum_once) / calls;
}

double host_sum_seconds(std::span<const float> v, backend b) {
  return seconds_per_sum(v.size_bytes(), [&] { return sum(v, {.backend = b}); });
}

/// The faster CPU backend's time for a float sum in host memory.
double best_cpu_sum_seconds(std::span<const float> v) {
  return std::min(host_sum_seconds(v, backend::simd), host_sum_seconds(v, backend::threads));
}

/// How fill_crossing picks the size, for a crossover's method.
std::string crossing_rule(const std::string& candidate) {
  return "; the first size where " + candidate + " is 5% faster in every repetition";
}

/// Sets c's bytes and detail to the first size, doubling from `first` to
/// `top`, at which `candidate` (seconds at a size) is 5% faster than
/// `incumbent` in every one of `reps` repetitions, the two alternating so
/// that a slow spell hits both: one fast repetition on a noisy machine is
/// not a crossover.
void fill_crossing(nlohmann::json& c, const std::string& candidate_name, const std::string& incumbent_name,
                   std::size_t first, std::size_t top, int reps, const std::function<double(std::size_t)>& incumbent,
                   const std::function<double(std::size_t)>& candidate) {
  for (std::size_t bytes = first; bytes <= top; bytes *= 2) {
    bool every = true;
    std::vector<double> ratios;
    for (int r = 0; r < reps && every; ++r) {
      const double before = incumbent(bytes);
      const double after = candidate(bytes);
      ratios.push_back(before / after);
      every = before >= 1.05 * after;
    }
    if (every) {
      c["bytes"] = bytes;
      c["detail"] = candidate_name + " " + std::to_string(median(ratios)).substr(0, 4) + "x " + incumbent_name +
                    " there (median of " + std::to_string(reps) + ", each at least 1.05x)";
      return;
    }
  }
  c["detail"] = candidate_name + " never 5% faster in every repetition up to " + bytes(double(top));
}

/// Where the GPU starts to pay, on the first device, for data that already
/// lies on it (a device_array against the faster CPU backend over the same
/// size in host memory) and for data in host memory (the cuda backend
/// streaming it, against the CPU reading it where it is).
std::vector<nlohmann::json> gpu_crossovers(const nlohmann::json& facts, int reps) {
  nlohmann::json resident{{"name", "gpu_over_cpu"}, {"bytes", nullptr}};
  nlohmann::json streamed{{"name", "gpu_over_cpu_host_data"}, {"bytes", nullptr}};
  const auto& cuda = facts["cuda"];
  if (!cuda["available"].get<bool>() || cuda["devices"].empty()) {
    const std::string why = cuda["available"].get<bool>() ? "no device" : cuda["reason"].get<std::string>();
    for (auto* c : {&resident, &streamed}) {
      (*c)["method"] = "needs the cuda backend";
      (*c)["detail"] = "never: " + why;
    }
    return {resident, streamed};
  }
  constexpr std::size_t first = std::size_t{4} << 10, top = std::size_t{256} << 20;
  const auto host = ones(top);
  const auto on_host = [&](std::size_t bytes) { return host.span().first(bytes / sizeof(float)); };
  const auto cpu = [&](std::size_t bytes) { return best_cpu_sum_seconds(on_host(bytes)); };
  const std::string sizes = "float sum, default accuracy, sizes doubling from 4 KiB to 256 MiB; ";
  // A GPU that fails midway (out of memory, say) leaves its crossover unmeasured, saying why.
  auto find = [&](nlohmann::json& c, const std::function<double(std::size_t)>& gpu, const std::string& what) {
    try {
      fill_crossing(c, "GPU", "CPU", first, top, reps, cpu, gpu);
    } catch (const error& e) {
      c["detail"] = std::string("not measured: ") + e.what();
    }
    c["method"] = sizes + what + crossing_rule("the GPU");
  };
  std::map<std::size_t, device_array<float>> on_device;
  find(resident, [&](std::size_t bytes) {
    auto [at, made] = on_device.try_emplace(bytes);
    if (made) at->second = device_array<float>(on_host(bytes));
    const device_array<float>& d = at->second;
    return seconds_per_sum(bytes, [&] { return sum(d); });
  }, "a device_array summed on the GPU (result back on the host) against the faster of simd and threads over the "
     "same values in host memory, alternating");
  on_device.clear();
  find(streamed, [&](std::size_t bytes) {
    return seconds_per_sum(bytes, [&] { return sum(on_host(bytes), {.backend = backend::cuda}); });
  }, "the cuda backend streaming a std::vector's memory to the GPU against the faster of simd and threads reading "
     "it in place, alternating");
  return {resident, streamed};
}

}  // namespace

/// Each GPU's copies and launch, measured by the cuda backend, named
/// gpu<index>_<what>. A device whose measurement fails is left out.
void gpu_measurements(const nlohmann::json& facts, bool quick, std::vector<measurement>& out) {
  if (!facts["cuda"]["available"].get<bool>()) return;
  detail::gpu_report* report = default_engine().state().backend_for(backend::cuda).report_on_gpu();
  if (report == nullptr) return;
  for (const auto& device : facts["cuda"]["devices"]) {
    const int index = device["index"].get<int>();
    std::vector<detail::gpu_measurement> measured;
    if (!report->measure(index, quick, measured).ok()) continue;
    for (auto& m : measured) {
      out.push_back({"gpu" + std::to_string(index) + "_" + m.name, "gpu", m.value, m.unit, m.higher_is_better,
                     device["name"].get<std::string>() + ": " + m.method, m.low, m.high});
    }
  }
}

std::vector<measurement> measure(const nlohmann::json& facts, bool quick) {
  std::vector<measurement> out;
  // Memory: STREAM's rule, an array at least 4x the last-level cache.
  const auto dram_bytes = static_cast<std::size_t>(std::max(4 * last_level_cache_bytes(facts), 64ll << 20));
  {
    const auto big = ones(dram_bytes);
    const int reps = quick ? 3 : 10;
    const std::string how = "best of " + std::to_string(reps) + " float sums (switchyard, accuracy fast) over " +
                            std::to_string(dram_bytes >> 20) + " MiB, at least 4x the last-level cache";
    // What the default accuracy costs where memory bounds a sum: the figure
    // by which the default was chosen, on the slowest machine measured
    // (docs/PERF.md), so each machine's report carries it.
    const std::string cost = "median over " + std::to_string(reps) + " pairs of float sums over " +
                             std::to_string(dram_bytes >> 20) +
                             " MiB of the default accuracy's time over accuracy fast's, alternating";
    for (const auto& [b, where, on] : {std::tuple{backend::simd, "1_thread", ", simd backend on one thread"},
                                       std::tuple{backend::threads, "all_threads", ", threads backend on all threads"}}) {
      const auto sums = alternate_sums(big.span(), b, reps);
      out.push_back(best_of(std::string("memory_read_") + where, "memory", sums.fast_gbs, how + on));
      const auto [low, high] = std::minmax_element(sums.default_over_fast.begin(), sums.default_over_fast.end());
      out.push_back({std::string("accuracy_cost_") + where, "memory", median(sums.default_over_fast), "x", false,
                     cost + on, *low, *high});
    }
  }
  // Compute: the SIMD sum with its data in L1, then in L2 (half of each cache).
  for (const int level : {1, 2}) {
    const auto bytes = static_cast<std::size_t>(cache_bytes(facts, level, level == 1 ? 32 << 10 : 1 << 20) / 2);
    const auto a = ones(bytes);
    const int inner = static_cast<int>(std::max<std::size_t>(1, (std::size_t{64} << 20) / bytes));
    out.push_back(best_of("simd_sum_l" + std::to_string(level), "compute",
                          sum_bandwidths(a.span(), backend::simd, quick ? 3 : 7, inner),
                          "best of repeated float sums (simd, accuracy fast) over " + std::to_string(bytes >> 10) +
                              " KiB, half the L" + std::to_string(level) + " data cache, call overhead included"));
  }
  // A latency that could not be measured (a failed fork, say) is left out
  // rather than reported as a number.
  auto latency = [&](std::string name, std::string group, double value, std::string unit, std::string method) {
    if (value > 0) out.push_back({std::move(name), std::move(group), value, std::move(unit), false, std::move(method)});
  };
  // A median, its spread the interquartile range (the tail of thousands of
  // hand-offs says more about the host than about the operation).
  auto sampled_latency = [&](std::string name, std::string group, std::vector<double> samples, std::string unit,
                             std::string method) {
    if (samples.empty()) return;
    std::sort(samples.begin(), samples.end());
    const auto at = [&](double q) { return samples[static_cast<std::size_t>(q * double(samples.size() - 1))]; };
    out.push_back({std::move(name), std::move(group), median(samples), std::move(unit), false, std::move(method),
                   at(0.25), at(0.75)});
  };
  const int scale = quick ? 1 : 5;
  sampled_latency("thread_create_join", "os", thread_create_join_us(40 * scale), "us",
          "median of std::thread creation and join of an empty function");
  sampled_latency("fork_wait", "os", fork_wait_us(10 * scale), "us",
          "median of fork(), _exit(0) in the child, waitpid() in the parent");
  sampled_latency("worker_round_trip", "os", worker_round_trip_us(400 * scale), "us",
          "median round trip of one byte to a forked child and back over two pipes");
  latency("context_switch", "os", context_switch_ns(4000 * scale), "ns",
          "two threads pinned to one CPU passing a token through a futex; time per hand-off");
  latency("coroutine_resume", "compute", coroutine_resume_ns(2'000'000 * scale), "ns",
          "resume of a C++20 coroutine that suspends again at once, averaged");
  if (facts["io_uring"]["available"].get<bool>()) {
    latency("io_uring_nop_round_trip", "io", uring_nop_ns(4000 * scale), "ns",
            "one IORING_OP_NOP submitted and its completion reaped, averaged");
  }
  gpu_measurements(facts, quick, out);
  return out;
}

nlohmann::json measure_crossovers(const nlohmann::json& facts, bool quick) {
  nlohmann::json out = nlohmann::json::array();
  const int reps = quick ? 3 : 7;
  // threads over simd: from two chunks (below that threads has one chunk to
  // run and cannot help).
  nlohmann::json threads{{"name", "threads_over_simd"}, {"bytes", nullptr}};
  const std::size_t first = 2 * kernels::chunk_elements * sizeof(float);
  const std::size_t top = std::size_t{16} << 20;
  if (facts["cpu"]["usable_threads"].get<int>() < 2) {
    threads["detail"] = "never: one usable thread (one core, or a CPU quota of at most one)";
  } else {
    const auto a = ones(top);
    const auto on = [&](backend b) {
      return [&a, b](std::size_t bytes) { return host_sum_seconds(a.span().first(bytes / sizeof(float)), b); };
    };
    fill_crossing(threads, "threads", "simd", first, top, reps, on(backend::simd), on(backend::threads));
  }
  threads["method"] = "float sum, default accuracy, sizes doubling from " + std::to_string(first >> 10) +
                      " KiB (two chunks) to 16 MiB; simd and threads alternating" + crossing_rule("threads");
  out.push_back(threads);
  for (auto& gpu : gpu_crossovers(facts, reps)) out.push_back(std::move(gpu));
  return out;
}

}  // namespace switchyard::caps
