// What a host thread's reductions on one device keep from call to call, so
// that a reduction over device memory is a launch, a copy and a sync: the
// blocks' scratch and the one-pass finish's counter (made and zeroed once;
// the last block leaves the counter at 0), a pinned result slot the kernel
// writes into directly, and the streamed path's lanes (stream, event,
// scratch). Per thread, because a lane or a counter serves one stream's
// launches at a time; per device, because memory belongs to one.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <memory>
#include <optional>

#include "backends/cuda/cuda_check.cuh"

namespace switchyard::backends::cuda {

/// Room for any op's block partials (at most max_partial_bytes each) for
/// the most blocks a launch on this device gets, and the one-pass counter.
class block_scratch {
 public:
  static constexpr std::size_t max_partial_bytes = 64;
  explicit block_scratch(unsigned max_blocks);
  unsigned max_blocks() const noexcept { return max_blocks_; }
  template <class P>
  P* partials() const noexcept {
    static_assert(sizeof(P) <= max_partial_bytes);
    return partials_.as<P>();
  }
  unsigned* counter() const noexcept { return counter_.as<unsigned>(); }

 private:
  unsigned max_blocks_;
  device_buffer partials_;
  device_buffer counter_;
};

/// One of the streamed path's three lanes: one filling, one copying, one
/// reducing.
struct stream_lane {
  explicit stream_lane(unsigned max_blocks) : scratch(max_blocks) {}
  stream s;
  event done;
  block_scratch scratch;
};

class thread_context {
 public:
  /// This thread's context for the current device, made on first use.
  static thread_context& current();

  int device() const noexcept { return device_; }
  /// The most blocks any launch on this device gets (blocks_for's bound).
  unsigned max_blocks() const noexcept { return scratch_.max_blocks(); }
  /// For reductions over device memory, on cudaStreamPerThread.
  block_scratch& scratch() noexcept { return scratch_; }
  /// Page-locked, mapped into the device: a kernel's result lands here and
  /// the host reads it after the stream's sync, with no copy queued.
  template <class R>
  R* result_on_device() const noexcept {
    static_assert(sizeof(R) <= result_bytes);
    return static_cast<R*>(result_device_);
  }
  template <class R>
  const R* result_on_host() const noexcept {
    return static_cast<const R*>(result_host_);
  }
  /// Lane k of the streamed path (k < 3), made on first use.
  stream_lane& lane(std::size_t k);

  explicit thread_context(int device);
  thread_context(const thread_context&) = delete;
  thread_context& operator=(const thread_context&) = delete;
  ~thread_context();

 private:
  static constexpr std::size_t result_bytes = 64;
  int device_;
  block_scratch scratch_;
  void* result_host_ = nullptr;
  void* result_device_ = nullptr;
  std::optional<stream_lane> lanes_[3];
};

/// The most blocks a launch on `device` gets: a full wave at the highest
/// occupancy a 256-thread block can have, or deterministic_max_blocks.
unsigned max_blocks_on(int device);

/// The multiprocessor count of `device`, asked once.
int multiprocessors(int device);

/// Whether `device` reads pageable host memory through the host's page
/// tables (as GH200 does over NVLink-C2C), asked once.
bool reads_pageable_memory(int device);

}  // namespace switchyard::backends::cuda
