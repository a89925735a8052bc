// The cuda backend against the GPU's own limits and CUB, in one run (Google
// Benchmark, manual time from CUDA events):
//   - float sum of 1 GiB on the device: bandwidth over the device-to-device
//     copy's (bytes read + written), time over cub::DeviceReduce::Sum's; the
//     one-pass (last block) and two-pass finishes side by side;
//   - argmin of 1 GiB floats over cub::DeviceReduce::ArgMin; minmax,
//     count_if, norm2 and a uint8 argmin of 1 GiB beside the copy;
//   - the per-call cost of a 4 KiB device sum (host clock) beside CUB's
//     with preallocated temporary storage;
//   - 1 GiB float sum of host memory: staged through pinned buffers (what a
//     std::vector gets), already pinned, and cudaHostRegister first; over the
//     pinned host-to-device copy bandwidth; and the staging copy alone
//     (pageable into pinned memory, a stream chunk at a time, on the engine's
//     threads and on one), the CPU side's bound on the staged sum.
// `switchyard bench` runs it (suite `cuda`); alone:
//   cuda_bench [Google Benchmark flags]   (exits 77, saying why, without a GPU)
#include <cuda_runtime.h>

#include <cub/device/device_reduce.cuh>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <switchyard/switchyard.hpp>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/staging.cuh"
#include "core/src/engine_state.hpp"
#include "support/suite_main.hpp"

namespace sy = switchyard;
namespace sb = switchyard::bench;
namespace syc = switchyard::backends::cuda;

namespace {

constexpr std::size_t gib = std::size_t{1} << 30;
constexpr std::size_t n = gib / sizeof(float);

void must(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "cuda_bench: %s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

/// The inputs, made once: 1 GiB of floats on the device, in a std::vector
/// and in pinned host memory, the same values in each.
struct inputs {
  std::vector<float> host;
  float* pinned = nullptr;
  sy::device_array<float> device;
  float* copy_target = nullptr;
  inputs() : host(n) {
    std::mt19937 gen(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (auto& x : host) x = dist(gen);
    device = sy::device_array<float>(host);
    must(cudaMallocHost(&pinned, gib), "cudaMallocHost");
    std::memcpy(pinned, host.data(), gib);
    must(cudaMalloc(&copy_target, gib), "cudaMalloc");
  }
};

inputs& data() {
  static inputs in;
  return in;
}

/// Times body() per iteration with CUDA events on the per-thread stream;
/// body is synchronous or queues its work on that stream.
template <class Body>
void time_with_events(benchmark::State& state, std::size_t bytes, Body&& body) {
  cudaEvent_t start, stop;
  must(cudaEventCreate(&start), "cudaEventCreate");
  must(cudaEventCreate(&stop), "cudaEventCreate");
  for (auto _ : state) {
    must(cudaEventRecord(start, cudaStreamPerThread), "cudaEventRecord");
    body();
    must(cudaEventRecord(stop, cudaStreamPerThread), "cudaEventRecord");
    must(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0;
    must(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    state.SetIterationTime(ms / 1e3);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
}

void device_copy(benchmark::State& state) {
  auto& in = data();
  // A copy reads and writes every byte: 2 GiB of traffic.
  time_with_events(state, 2 * gib, [&] {
    must(cudaMemcpyAsync(in.copy_target, in.device.device_data(), gib, cudaMemcpyDeviceToDevice, cudaStreamPerThread),
         "cudaMemcpyAsync");
  });
}

void sum_device(benchmark::State& state) {
  auto& in = data();
  float s = 0;
  time_with_events(state, gib, [&] { s = sy::sum(in.device); });
  benchmark::DoNotOptimize(s);
}

/// The backend directly, to compare its two finishes.
void sum_device_finish(benchmark::State& state, syc::finish_pass finish) {
  auto& in = data();
  const sy::kernels::reduction r{.op = sy::kernels::op_kind::sum,
                                 .type = sy::kernels::element_kind::f32,
                                 .mode = sy::default_accuracy,
                                 .x = in.device.device_data(),
                                 .n = n};
  const sy::detail::placement on_device{.where = sy::detail::memory::device};
  sy::kernels::sum_partial<float> out{};
  time_with_events(state, gib, [&] { syc::reduce_chunks(r, on_device, &out, {.finish = finish}); });
  benchmark::DoNotOptimize(out);
}

void cub_sum(benchmark::State& state) {
  auto& in = data();
  float* out = nullptr;
  must(cudaMalloc(&out, sizeof(float)), "cudaMalloc");
  std::size_t temp_bytes = 0;
  must(cub::DeviceReduce::Sum(nullptr, temp_bytes, in.device.device_data(), out, n, cudaStreamPerThread), "cub");
  void* temp = nullptr;
  must(cudaMalloc(&temp, temp_bytes), "cudaMalloc");
  float host = 0;
  // Like switchyard's call, each iteration brings the result back to the host.
  time_with_events(state, gib, [&] {
    must(cub::DeviceReduce::Sum(temp, temp_bytes, in.device.device_data(), out, n, cudaStreamPerThread), "cub");
    must(cudaMemcpyAsync(&host, out, sizeof host, cudaMemcpyDeviceToHost, cudaStreamPerThread), "cudaMemcpyAsync");
  });
  must(cudaStreamSynchronize(cudaStreamPerThread), "sync");
  cudaFree(temp);
  cudaFree(out);
}

void argmin_device(benchmark::State& state) {
  auto& in = data();
  std::size_t index = 0;
  time_with_events(state, gib, [&] { index = sy::argmin(in.device)->index; });
  benchmark::DoNotOptimize(index);
}

void cub_argmin(benchmark::State& state) {
  auto& in = data();
  float* value = nullptr;
  std::int64_t* index = nullptr;
  must(cudaMalloc(&value, sizeof(float)), "cudaMalloc");
  must(cudaMalloc(&index, sizeof(std::int64_t)), "cudaMalloc");
  std::size_t temp_bytes = 0;
  must(cub::DeviceReduce::ArgMin(nullptr, temp_bytes, in.device.device_data(), value, index,
                                 static_cast<std::int64_t>(n), cudaStreamPerThread),
       "cub");
  void* temp = nullptr;
  must(cudaMalloc(&temp, temp_bytes), "cudaMalloc");
  std::int64_t host = 0;
  time_with_events(state, gib, [&] {
    must(cub::DeviceReduce::ArgMin(temp, temp_bytes, in.device.device_data(), value, index,
                                   static_cast<std::int64_t>(n), cudaStreamPerThread),
         "cub");
    must(cudaMemcpyAsync(&host, index, sizeof host, cudaMemcpyDeviceToHost, cudaStreamPerThread), "cudaMemcpyAsync");
  });
  must(cudaStreamSynchronize(cudaStreamPerThread), "sync");
  cudaFree(temp);
  cudaFree(value);
  cudaFree(index);
}

/// The ops whose per-element work the backend keeps small (in-order
/// extremum adds, the comparison fixed at compile time, norm2's squares in
/// plain double): each over 1 GiB, against the copy bandwidth.
template <class Call>
void op_device(benchmark::State& state, Call&& call) {
  auto& in = data();
  time_with_events(state, gib, [&] { benchmark::DoNotOptimize(call(in.device)); });
}

void argmin_u8_device(benchmark::State& state) {
  static const sy::device_array<std::uint8_t> bytes = [] {
    std::vector<std::uint8_t> host(gib);
    std::mt19937 gen(43);
    for (auto& b : host) b = static_cast<std::uint8_t>(gen() % 200 + 50);
    return sy::device_array<std::uint8_t>(host);
  }();
  time_with_events(state, gib, [&] { benchmark::DoNotOptimize(sy::argmin(bytes)); });
}

/// What one small call costs, host clock, from the call to its result on
/// the host: a 4 KiB float sum on the device, switchyard's against CUB's
/// with its temporary storage made once (the least a caller of CUB pays).
constexpr std::size_t small_n = 1024;

void per_call_sum(benchmark::State& state) {
  static const sy::device_array<float> small(std::span(data().host).first(small_n));
  for (auto _ : state) benchmark::DoNotOptimize(sy::sum(small, {.backend = sy::backend::cuda}));
}

void per_call_cub_sum(benchmark::State& state) {
  static const sy::device_array<float> small(std::span(data().host).first(small_n));
  float* out = nullptr;
  float* host = nullptr;
  must(cudaMalloc(&out, sizeof(float)), "cudaMalloc");
  must(cudaMallocHost(&host, sizeof(float)), "cudaMallocHost");
  std::size_t temp_bytes = 0;
  must(cub::DeviceReduce::Sum(nullptr, temp_bytes, small.device_data(), out, small_n, cudaStreamPerThread), "cub");
  void* temp = nullptr;
  must(cudaMalloc(&temp, temp_bytes), "cudaMalloc");
  for (auto _ : state) {
    must(cub::DeviceReduce::Sum(temp, temp_bytes, small.device_data(), out, small_n, cudaStreamPerThread), "cub");
    must(cudaMemcpyAsync(host, out, sizeof(float), cudaMemcpyDeviceToHost, cudaStreamPerThread), "cudaMemcpyAsync");
    must(cudaStreamSynchronize(cudaStreamPerThread), "sync");
    benchmark::DoNotOptimize(*host);
  }
  cudaFree(temp);
  cudaFree(out);
  cudaFreeHost(host);
}

void pinned_host_to_device(benchmark::State& state) {
  auto& in = data();
  time_with_events(state, gib, [&] {
    must(cudaMemcpyAsync(in.copy_target, in.pinned, gib, cudaMemcpyHostToDevice, cudaStreamPerThread),
         "cudaMemcpyAsync");
  });
}

void sum_host_staged(benchmark::State& state) {
  auto& in = data();
  float s = 0;
  time_with_events(state, gib, [&] { s = sy::sum(in.host, {.backend = sy::backend::cuda}); });
  benchmark::DoNotOptimize(s);
}

void sum_host_pinned(benchmark::State& state) {
  auto& in = data();
  float s = 0;
  time_with_events(state, gib, [&] { s = sy::sum(std::span<const float>(in.pinned, n), {.backend = sy::backend::cuda}); });
  benchmark::DoNotOptimize(s);
}

/// The alternative to staging: page-lock the caller's memory for the call.
void sum_host_registered(benchmark::State& state) {
  auto& in = data();
  float s = 0;
  time_with_events(state, gib, [&] {
    must(cudaHostRegister(in.host.data(), gib, cudaHostRegisterDefault), "cudaHostRegister");
    s = sy::sum(in.host, {.backend = sy::backend::cuda});
    must(cudaHostUnregister(in.host.data()), "cudaHostUnregister");
  });
  benchmark::DoNotOptimize(s);
}

/// What the staged sum does on the CPU, alone: 1 GiB of the vector copied
/// into pinned memory a stream chunk at a time, into three chunk buffers in
/// turn (a sum's three lanes), by the engine's threads (as a sum does) or by
/// this thread.
void staging_copy(benchmark::State& state, bool engine_threads) {
  auto& in = data();
  sy::detail::compute_backend* threads =
      engine_threads ? &sy::default_engine().state().backend_for(sy::backend::threads) : nullptr;
  constexpr std::size_t chunk = syc::stream_chunk_bytes;
  time_with_events(state, gib, [&] {
    for (std::size_t at = 0; at < gib; at += chunk) {
      void* lane = reinterpret_cast<char*>(in.pinned) + (at / chunk) % 3 * chunk;
      syc::parallel_copy(lane, reinterpret_cast<const char*>(in.host.data()) + at, chunk, threads);
    }
  });
}

std::string device_name() {
  int device = 0;
  cudaDeviceProp p{};
  if (cudaGetDevice(&device) != cudaSuccess || cudaGetDeviceProperties(&p, device) != cudaSuccess) return "?";
  return p.name;
}

}  // namespace

int main(int argc, char** argv) {
  return sb::suite_main(argc, argv, "cuda_bench: the cuda backend beside the copy bandwidths and CUB", {},
                        [](const sb::suite_settings&) {
    if (const auto s = sy::availability(sy::backend::cuda); !s.available) {
      std::fprintf(stderr, "cuda_bench: not run: %s\n", s.reason.c_str());
      return sb::suite_skipped;
    }
    auto add = [](const char* name, auto fn) {
      benchmark::RegisterBenchmark(name, fn)->UseManualTime()->Unit(benchmark::kMillisecond)->MinWarmUpTime(0.05);
    };
    add("device_copy", [](benchmark::State& s) {
      device_copy(s);
      s.SetLabel(device_name());
    });
    add("sum/device", sum_device);
    add("sum/cub", cub_sum);
    add("sum/device_one_pass", [](benchmark::State& s) { sum_device_finish(s, syc::finish_pass::last_block); });
    add("sum/device_two_pass", [](benchmark::State& s) { sum_device_finish(s, syc::finish_pass::second_kernel); });
    add("argmin/device", argmin_device);
    add("argmin/cub", cub_argmin);
    add("minmax/device", [](benchmark::State& s) { op_device(s, [](const auto& d) { return sy::minmax(d); }); });
    add("count_if/device", [](benchmark::State& s) {
      op_device(s, [](const auto& d) { return sy::count_if(d, sy::gt(0.5f)); });
    });
    add("norm2/device", [](benchmark::State& s) { op_device(s, [](const auto& d) { return sy::norm2(d); }); });
    add("argmin_u8/device", argmin_u8_device);
    benchmark::RegisterBenchmark("per_call/sum_4KiB", per_call_sum)->Unit(benchmark::kMicrosecond)->MinWarmUpTime(0.05);
    benchmark::RegisterBenchmark("per_call/cub_sum_4KiB", per_call_cub_sum)
        ->Unit(benchmark::kMicrosecond)
        ->MinWarmUpTime(0.05);
    add("pinned_host_to_device", pinned_host_to_device);
    add("sum/host_staged", sum_host_staged);
    add("sum/host_pinned", sum_host_pinned);
    add("sum/host_registered", sum_host_registered);
    add("staging_copy/engine_threads", [](benchmark::State& s) { staging_copy(s, true); });
    add("staging_copy/one_thread", [](benchmark::State& s) { staging_copy(s, false); });
    return 0;
  });
}
