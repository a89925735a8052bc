#include "backends/cuda/thread_context.cuh"

#include <algorithm>
#include <vector>

#include "backends/cuda/dispatch_reduce.cuh"

namespace switchyard::backends::cuda {

int multiprocessors(int device) {
  static per_device known;
  return known.get(device, [&] {
    return device_attribute(device, cudaDevAttrMultiProcessorCount, "cudaDeviceGetAttribute(multiprocessors)");
  });
}

bool reads_pageable_memory(int device) {
  static per_device known;
  return known.get(device, [&] {
    return device_attribute(device, cudaDevAttrPageableMemoryAccessUsesHostPageTables,
                            "cudaDeviceGetAttribute(pageable memory access)");
  }) != 0;
}

unsigned max_blocks_on(int device) {
  static per_device known;
  const int threads = known.get(device, [&] {
    return device_attribute(device, cudaDevAttrMaxThreadsPerMultiProcessor,
                            "cudaDeviceGetAttribute(threads per multiprocessor)");
  });
  const auto wave = static_cast<unsigned>(std::max(1, threads / block_threads) * multiprocessors(device));
  return std::max(wave, deterministic_max_blocks);
}

block_scratch::block_scratch(unsigned max_blocks)
    : max_blocks_(max_blocks), partials_(std::size_t{max_blocks} * max_partial_bytes), counter_(sizeof(unsigned)) {
  // Once, synchronously: every one-pass launch after leaves it at 0 again.
  check(cudaMemset(counter_.get(), 0, sizeof(unsigned)), "cudaMemset of the block counter");
}

thread_context::thread_context(int device) : device_(device), scratch_(max_blocks_on(device)) {
  check(cudaHostAlloc(&result_host_, result_bytes, cudaHostAllocMapped | cudaHostAllocPortable),
        "cudaHostAlloc of the result slot");
  const cudaError_t e = cudaHostGetDevicePointer(&result_device_, result_host_, 0);
  if (e != cudaSuccess) {
    (void)cudaFreeHost(result_host_);
    check(e, "cudaHostGetDevicePointer of the result slot");
  }
}

thread_context::~thread_context() {
  // Nothing of this thread's can still be in flight: every call synchronizes
  // before it returns.
  if (result_host_) (void)cudaFreeHost(result_host_);
}

stream_lane& thread_context::lane(std::size_t k) {
  if (!lanes_[k]) lanes_[k].emplace(max_blocks());
  return *lanes_[k];
}

thread_context& thread_context::current() {
  // Destroyed when the thread ends (the module is never unloaded, so the
  // code that frees them outlives every thread).
  thread_local std::vector<std::unique_ptr<thread_context>> contexts;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  if (device < 0) device = 0;
  if (static_cast<std::size_t>(device) >= contexts.size()) contexts.resize(device + 1);
  auto& c = contexts[device];
  if (!c) c = std::make_unique<thread_context>(device);
  return *c;
}

}  // namespace switchyard::backends::cuda
