// The device side of the backend that is not a kernel: whether a GPU can run
// here, error checking, owned handles, and device_array's memory.
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/cuda_check.cuh"

namespace switchyard::backends::cuda {
namespace {

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

std::string gib(std::size_t bytes) { return std::to_string(static_cast<double>(bytes) / (1 << 30)).substr(0, 5) + " GiB"; }

std::string probe() {
  int driver = 0;
  (void)cudaDriverGetVersion(&driver);
  if (driver == 0) {
    return "no NVIDIA driver is installed (libcuda.so.1 was not found); install the driver to use the GPU";
  }
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  (void)cudaGetLastError();
  if (e == cudaErrorInsufficientDriver) {
    return "the NVIDIA driver supports CUDA " + version_text(driver) + ", older than the CUDA " +
           version_text(CUDART_VERSION) + " runtime this build links; update the driver";
  }
  if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) {
    return "no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)";
  }
  if (e != cudaSuccess) {
    return std::string("the CUDA runtime could not start: ") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
  }
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return "the CUDA runtime could not describe device 0";
  }
  if (major * 10 + minor < SWITCHYARD_CUDA_MIN_ARCH) {
    return "CUDA device " + std::to_string(device) + " has compute capability " + std::to_string(major) + "." +
           std::to_string(minor) + "; this build has kernels for " SWITCHYARD_CUDA_ARCHS
           " (CMAKE_CUDA_ARCHITECTURES): rebuild with that device's architecture";
  }
  return {};
}

}  // namespace

std::string unavailable_reason() {
  static const std::string reason = probe();
  return reason;
}

void check(cudaError_t e, const std::string& what) {
  if (e == cudaSuccess) return;
  (void)cudaGetLastError();  // a non-sticky error must not fail the next call
  if (e == cudaErrorMemoryAllocation) {
    std::size_t free = 0, total = 0;
    (void)cudaMemGetInfo(&free, &total);
    (void)cudaGetLastError();
    throw error(errc::resource_exhausted, "cuda: " + what + ": out of memory (" + gib(free) + " free of " +
                                              gib(total) + " on the GPU); use smaller inputs or free device arrays");
  }
  throw error(errc::device_failed,
              "cuda: " + what + " failed: " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

device_buffer::device_buffer(std::size_t bytes) {
  if (bytes == 0) return;
  check(cudaMalloc(&p_, bytes), "cudaMalloc of " + std::to_string(bytes) + " bytes");
}

namespace {

/// Whether the current device has stream-ordered allocation (memory pools):
/// not every device, driver or virtualization layer does. Asked once per
/// device.
bool memory_pools_supported() {
  static per_device known;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  return known.get(device, [&] { return device_attribute_or_zero(device, cudaDevAttrMemoryPoolsSupported); }) != 0;
}

}  // namespace

device_buffer::device_buffer(std::size_t bytes, cudaStream_t s) : stream_(s), async_(memory_pools_supported()) {
  if (bytes == 0) return;
  if (async_) {
    check(cudaMallocAsync(&p_, bytes, s), "cudaMallocAsync of " + std::to_string(bytes) + " bytes");
  } else {  // plain allocation: synchronizes, but works everywhere
    check(cudaMalloc(&p_, bytes), "cudaMalloc of " + std::to_string(bytes) + " bytes");
  }
}

device_buffer::~device_buffer() {
  if (!p_) return;
  // Errors here would come from an earlier failure that is already reported.
  if (async_) {
    (void)cudaFreeAsync(p_, stream_);
  } else {
    (void)cudaFree(p_);
  }
}

pinned_buffer::pinned_buffer(std::size_t bytes) {
  const cudaError_t e = cudaMallocHost(&p_, bytes);
  if (e == cudaErrorMemoryAllocation) {  // host memory: check() would blame the GPU's
    (void)cudaGetLastError();
    throw error(errc::resource_exhausted, "cuda: cudaMallocHost of " + std::to_string(bytes) +
                                              " bytes: the host could not page-lock that much memory (RAM or "
                                              "RLIMIT_MEMLOCK); use smaller inputs or page-locked input of your own");
  }
  check(e, "cudaMallocHost of " + std::to_string(bytes) + " pinned bytes");
}

pinned_buffer::~pinned_buffer() {
  if (p_) (void)cudaFreeHost(p_);
}

stream::stream() { check(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "cudaStreamCreate"); }
stream::~stream() {
  if (s_) (void)cudaStreamDestroy(s_);
}

event::event(bool timing) {
  check(cudaEventCreateWithFlags(&e_, timing ? cudaEventDefault : cudaEventDisableTiming), "cudaEventCreate");
}
event::~event() {
  if (e_) (void)cudaEventDestroy(e_);
}

namespace {

/// Which device each device_array allocation lives on, so that a call from
/// a thread whose current device is another one still runs where the data
/// is. Kept only where there is more than one device.
class owners {
 public:
  static owners& get() {
    static owners o;
    return o;
  }
  bool tracked() const noexcept { return devices_ > 1; }
  void add(const void* p, std::size_t bytes, int device) {
    std::unique_lock lock(m_);
    spans_[address(p)] = {bytes, device};
  }
  void remove(const void* p) noexcept {
    std::unique_lock lock(m_);
    spans_.erase(address(p));
  }
  /// The device that owns p, or -1 when no allocation of ours holds it.
  int owner_of(const void* p) const {
    std::shared_lock lock(m_);
    auto it = spans_.upper_bound(address(p));
    if (it == spans_.begin()) return -1;
    --it;
    return address(p) - it->first < std::max<std::size_t>(it->second.first, 1) ? it->second.second : -1;
  }

 private:
  owners() {
    if (cudaGetDeviceCount(&devices_) != cudaSuccess) {
      (void)cudaGetLastError();
      devices_ = 0;
    }
  }
  static std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
  int devices_ = 0;
  mutable std::shared_mutex m_;
  std::map<std::uintptr_t, std::pair<std::size_t, int>> spans_;
};

}  // namespace

int device_attribute_or_zero(int device, cudaDeviceAttr attribute) noexcept {
  int v = 0;
  if (cudaDeviceGetAttribute(&v, attribute, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return v;
}

int device_attribute(int device, cudaDeviceAttr attribute, const char* what) {
  int v = 0;
  check(cudaDeviceGetAttribute(&v, attribute, device), what);
  return v;
}

device_scope::device_scope(int device) {
  if (device < 0) return;
  int current = 0;
  check(cudaGetDevice(&current), "cudaGetDevice");
  if (device == current) return;
  check(cudaSetDevice(device), "cudaSetDevice");
  previous_ = current;
}

device_scope::~device_scope() {
  if (previous_ >= 0) (void)cudaSetDevice(previous_);
}

int owner_of(const void* device_memory) {
  const owners& o = owners::get();
  return o.tracked() ? o.owner_of(device_memory) : -1;
}

void* allocate(std::size_t bytes) {
  if (const std::string why = unavailable_reason(); !why.empty()) {
    throw error(errc::backend_unavailable, "device_array needs the cuda backend, which cannot run here: " + why);
  }
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  check(cudaMalloc(&p, bytes), "cudaMalloc of " + std::to_string(bytes) + " bytes for a device_array");
  cudaError_t e = cudaMemsetAsync(p, 0, bytes, cudaStreamPerThread);
  if (e == cudaSuccess) e = cudaStreamSynchronize(cudaStreamPerThread);
  if (e != cudaSuccess) {
    (void)cudaFree(p);
    check(e, "cudaMemset");
  }
  if (owners& o = owners::get(); o.tracked()) {
    int device = 0;
    try {
      check(cudaGetDevice(&device), "cudaGetDevice");
      o.add(p, bytes, device);
    } catch (...) {
      (void)cudaFree(p);
      throw;
    }
  }
  return p;
}

void release(void* device) noexcept {
  if (!device) return;
  try {
    const device_scope on_owner(owner_of(device));
    (void)cudaFree(device);
  } catch (...) {  // the owner could not be made current: free from here
    (void)cudaFree(device);
  }
  if (owners& o = owners::get(); o.tracked()) o.remove(device);
}

// device_array's copies run on the owning device, on the calling thread's
// own stream, so threads that copy at once do not queue behind each other on
// the legacy stream.
void copy_to_device(void* device, const void* host, std::size_t bytes) {
  if (bytes == 0) return;
  const device_scope on_owner(owner_of(device));
  check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, cudaStreamPerThread), "cudaMemcpy to the device");
  check(cudaStreamSynchronize(cudaStreamPerThread), "cudaMemcpy to the device");
}

void copy_to_host(void* host, const void* device, std::size_t bytes) {
  if (bytes == 0) return;
  const device_scope on_owner(owner_of(device));
  check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, cudaStreamPerThread), "cudaMemcpy to the host");
  check(cudaStreamSynchronize(cudaStreamPerThread), "cudaMemcpy to the host");
}

}  // namespace switchyard::backends::cuda
