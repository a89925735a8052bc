// The cuda backend's report on its devices (core/src/gpu_report.hpp): what
// each device is, and what moving data to it and launching on it cost, each
// measured the way its method says.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/cuda_check.cuh"

namespace switchyard::backends::cuda {

using switchyard::detail::gpu_device;
using switchyard::detail::gpu_facts;
using switchyard::detail::gpu_measurement;

namespace {

__global__ void empty_kernel() {}

/// Seconds of each of `reps` runs of queue() on s, timed by events.
template <class Queue>
std::vector<double> event_times(cudaStream_t s, int reps, Queue&& queue) {
  const event a(true), b(true);
  std::vector<double> out;
  queue();  // warm-up: first-touch and lazy set-up are not the figure
  check(cudaStreamSynchronize(s), "warm-up");
  for (int r = 0; r < reps; ++r) {
    check(cudaEventRecord(a.get(), s), "cudaEventRecord");
    queue();
    check(cudaEventRecord(b.get(), s), "cudaEventRecord");
    check(cudaEventSynchronize(b.get()), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, a.get(), b.get()), "cudaEventElapsedTime");
    out.push_back(ms / 1e3);
  }
  return out;
}

gpu_measurement best_bandwidth(std::string name, double bytes, const std::vector<double>& seconds,
                               std::string method) {
  const auto [fastest, slowest] = std::minmax_element(seconds.begin(), seconds.end());
  return {std::move(name), bytes / *fastest / 1e9, "GB/s", true, std::move(method), bytes / *slowest / 1e9,
          bytes / *fastest / 1e9};
}

std::string mib(std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

void describe_devices(gpu_facts& out) {
  (void)cudaDriverGetVersion(&out.driver_version);
  (void)cudaRuntimeGetVersion(&out.runtime_version);
  int count = 0;
  check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, d), "cudaGetDeviceProperties");
    gpu_device g;
    g.index = d;
    g.name = p.name;
    g.compute_major = p.major;
    g.compute_minor = p.minor;
    g.multiprocessors = p.multiProcessorCount;
    g.memory_bytes = p.totalGlobalMem;
    g.memory_bus_bits = p.memoryBusWidth;
    g.sm_clock_mhz = device_attribute_or_zero(d, cudaDevAttrClockRate) / 1000;
    g.memory_clock_mhz = device_attribute_or_zero(d, cudaDevAttrMemoryClockRate) / 1000;
    g.pageable_memory_access = device_attribute_or_zero(d, cudaDevAttrPageableMemoryAccessUsesHostPageTables) != 0;
    out.devices.push_back(std::move(g));
  }
}

void measure_device(int device, bool quick, std::vector<gpu_measurement>& out) {
  const device_scope current(device);
  const std::size_t bytes = (quick ? std::size_t{64} : std::size_t{256}) << 20;
  const int reps = quick ? 3 : 10;
  const cudaStream_t s = cudaStreamPerThread;
  const std::string times = std::to_string(reps);

  device_buffer from(bytes), to(bytes);
  check(cudaMemsetAsync(from.get(), 1, bytes, s), "cudaMemsetAsync");
  out.push_back(best_bandwidth(
      "device_copy", 2.0 * static_cast<double>(bytes),
      event_times(s, reps, [&] { check(cudaMemcpyAsync(to.get(), from.get(), bytes, cudaMemcpyDeviceToDevice, s), "copy"); }),
      "cudaMemcpyAsync of " + mib(bytes) + " device to device, bytes read and written, timed by CUDA events; best of " +
          times));

  const pinned_buffer pinned(bytes);
  std::memset(pinned.get(), 1, bytes);
  out.push_back(best_bandwidth(
      "pinned_to_device", static_cast<double>(bytes),
      event_times(s, reps, [&] { check(cudaMemcpyAsync(to.get(), pinned.get(), bytes, cudaMemcpyHostToDevice, s), "copy"); }),
      "cudaMemcpyAsync of " + mib(bytes) + " from cudaMallocHost memory to the device, timed by CUDA events; best of " +
          times));

  // Pageable: malloc'd and touched, copied as a std::vector's data would be
  // (the driver stages it through its own pinned buffers).
  std::vector<char> pageable(bytes, 1);
  out.push_back(best_bandwidth(
      "pageable_to_device", static_cast<double>(bytes),
      event_times(s, reps, [&] { check(cudaMemcpyAsync(to.get(), pageable.data(), bytes, cudaMemcpyHostToDevice, s), "copy"); }),
      "cudaMemcpyAsync of " + mib(bytes) + " from pageable (malloc'd, touched) memory to the device, timed by CUDA "
      "events; best of " + times));

  // A launch's round trip as a caller sees it: launch, then wait for it.
  const int launches = quick ? 500 : 5000;
  std::vector<double> us;
  us.reserve(launches);
  for (int i = 0; i < launches + 50; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    empty_kernel<<<1, 1, 0, s>>>();
    check_launch("empty_kernel");
    check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
    if (i >= 50) us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  out.push_back({"launch_round_trip", us[us.size() / 2], "us", false,
                 "an empty kernel <<<1, 1>>> launched on the thread's stream and waited for (cudaStreamSynchronize), "
                 "host clock; median of " + std::to_string(launches) + " after 50 to warm up",
                 us[us.size() / 4], us[us.size() * 3 / 4]});
}

}  // namespace switchyard::backends::cuda
