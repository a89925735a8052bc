// Every CUDA call is checked: a failure becomes a switchyard::error that names
// the call and CUDA's reason. And the handles the backend holds (device and
// pinned memory, streams, events) are owned, so an error on any path leaks
// nothing.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <cstddef>
#include <string>
#include <utility>

#include <switchyard/error.hpp>

namespace switchyard::backends::cuda {

/// Throws for anything but cudaSuccess: resource_exhausted for running out of
/// memory, device_failed otherwise. `what` names the call.
void check(cudaError_t e, const std::string& what);

/// The launch just made failed to start (a bad configuration, no kernel image).
inline void check_launch(const char* kernel) { check(cudaGetLastError(), std::string("launching ") + kernel); }

/// Device memory from cudaMalloc (or stream-ordered cudaMallocAsync).
class device_buffer {
 public:
  device_buffer() noexcept = default;
  explicit device_buffer(std::size_t bytes);
  device_buffer(std::size_t bytes, cudaStream_t stream);  // stream-ordered
  device_buffer(device_buffer&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)), stream_(o.stream_), async_(o.async_) {}
  device_buffer& operator=(device_buffer&&) = delete;
  ~device_buffer();
  void* get() const noexcept { return p_; }
  template <class T>
  T* as() const noexcept { return static_cast<T*>(p_); }

 private:
  void* p_ = nullptr;
  cudaStream_t stream_ = nullptr;
  bool async_ = false;
};

/// Page-locked host memory (cudaMallocHost): what the copy engines read at
/// full PCIe speed.
class pinned_buffer {
 public:
  explicit pinned_buffer(std::size_t bytes);
  pinned_buffer(pinned_buffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  pinned_buffer& operator=(pinned_buffer&&) = delete;
  ~pinned_buffer();
  void* get() const noexcept { return p_; }
  template <class T>
  T* as() const noexcept { return static_cast<T*>(p_); }

 private:
  void* p_ = nullptr;
};

class stream {
 public:
  stream();
  stream(stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  stream& operator=(stream&&) = delete;
  ~stream();
  cudaStream_t get() const noexcept { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

class event {
 public:
  /// timing: the event can be used with cudaEventElapsedTime (it costs more).
  explicit event(bool timing = false);
  event(event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  event& operator=(event&&) = delete;
  ~event();
  cudaEvent_t get() const noexcept { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

/// Devices the backend keeps per-device state for (more are served, their
/// facts asked each time).
inline constexpr int most_devices = 64;

/// A number about each device, found once per device (find() the first time
/// that device is asked).
class per_device {
 public:
  template <class Find>
  int get(int device, Find&& find) {
    if (device < 0 || device >= most_devices) return find();
    if (const int k = known_[device].load(std::memory_order_relaxed); k != 0) return k - 1;
    const int v = find();
    known_[device].store(v + 1, std::memory_order_relaxed);
    return v;
  }

 private:
  std::atomic<int> known_[most_devices] = {};  // the value + 1; 0: not asked yet
};

/// cudaDeviceGetAttribute, checked.
int device_attribute(int device, cudaDeviceAttr attribute, const char* what);
/// cudaDeviceGetAttribute where "not reported" reads as 0 (not every
/// device, driver or runtime reports every attribute).
int device_attribute_or_zero(int device, cudaDeviceAttr attribute) noexcept;

/// Makes `device` the current one for the scope, and the previous one again
/// after; -1 leaves the current one as it is.
class device_scope {
 public:
  explicit device_scope(int device);
  device_scope(const device_scope&) = delete;
  device_scope& operator=(const device_scope&) = delete;
  ~device_scope();

 private:
  int previous_ = -1;
};

/// The device that holds `device_memory` (device_array's memory, from
/// allocate()), or -1 where that is the current one's business: a machine
/// with one device (where nothing is recorded or asked) or memory not ours.
int owner_of(const void* device_memory);

}  // namespace switchyard::backends::cuda
