// The cuda backend as a module: libswitchyard_cuda.so, which the library
// loads (backends/cuda/loader.cpp) only when a call or a device_array needs
// the GPU, so that programs that never ask for it carry no CUDA runtime and
// need no CUDA toolkit to build. It exports one C function that returns the
// backend; everything else in it is hidden.
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <vector>

#include <switchyard/config.h>
#include <switchyard/detail/export.hpp>
#include <switchyard/detail/tree_reduce.hpp>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/module_entry.hpp"
#include "kernels/common/chunk_kernel.hpp"

namespace switchyard::backends::cuda {
namespace {

class cuda_backend final : public detail::compute_backend, public detail::device_memory, public detail::gpu_report {
 public:
  std::string unavailable_reason() override {
    try {
      return cuda::unavailable_reason();
    } catch (const std::bad_alloc&) {
      throw;
    } catch (...) {
      return "the CUDA runtime could not be asked about its devices";
    }
  }
  bool reads(detail::memory) const noexcept override { return true; }

  detail::status reduce(const kernels::reduction& r, const detail::placement& p, void* partial) noexcept override {
    return detail::guarded([&] {
      kernels::with_types(r, [&]<class T, class P>() {
        std::vector<P> parts(chunk_count(r, p));
        reduce_chunks(r, p, parts.data());
        *static_cast<P*>(partial) = detail::tree_reduce(
            std::span(parts), [&](const P& l, const P& rr) { return kernels::combine_partials(r.op, l, rr); });
      });
    });
  }

  detail::device_memory* memory_on_device() noexcept override { return this; }
  detail::status allocate(std::size_t bytes, void** device) noexcept override {
    return detail::guarded([&] { *device = cuda::allocate(bytes); });
  }
  void release(void* device) noexcept override { cuda::release(device); }
  detail::status copy_to_device(void* device, const void* host, std::size_t bytes) noexcept override {
    return detail::guarded([&] { cuda::copy_to_device(device, host, bytes); });
  }
  detail::status copy_to_host(void* host, const void* device, std::size_t bytes) noexcept override {
    return detail::guarded([&] { cuda::copy_to_host(host, device, bytes); });
  }

  detail::gpu_report* report_on_gpu() noexcept override { return this; }
  detail::status describe(detail::gpu_facts& out) noexcept override {
    return detail::guarded([&] { describe_devices(out); });
  }
  detail::status measure(int device, bool quick, std::vector<detail::gpu_measurement>& out) noexcept override {
    return detail::guarded([&] { measure_device(device, quick, out); });
  }
};

}  // namespace
}  // namespace switchyard::backends::cuda

extern "C" SWITCHYARD_API switchyard::detail::compute_backend* switchyard_cuda_backend(std::uint32_t abi) {
  if (abi != switchyard::backends::cuda::module_abi) return nullptr;
  return new (std::nothrow) switchyard::backends::cuda::cuda_backend;
}
