// backends/cuda/cuda_backend.hpp in a build without nvcc: nothing runs, and
// every entry point says why.
#include <string>

#include <switchyard/error.hpp>

#include "backends/cuda/cuda_backend.hpp"

namespace switchyard::backends::cuda {
namespace {

[[noreturn]] void refuse() { throw error(errc::backend_unavailable, "backend cuda cannot run here: " + unavailable_reason()); }

}  // namespace

std::string unavailable_reason() {
  return "the cuda backend is not part of this build of switchyard (no nvcc was found when it was "
         "configured, or SWITCHYARD_ENABLE_CUDA=OFF); install the CUDA toolkit and rebuild, or use a CPU backend";
}

std::size_t chunk_count(const kernels::reduction&) { refuse(); }
void reduce_chunks(const kernels::reduction&, void*, const launch_config&) { refuse(); }
void* allocate(std::size_t) {
  throw error(errc::backend_unavailable, "device_array needs the cuda backend, which cannot run here: " + unavailable_reason());
}
void release(void*) noexcept {}
void copy_to_device(void*, const void*, std::size_t) { refuse(); }
void copy_to_host(void*, const void*, std::size_t) { refuse(); }

}  // namespace switchyard::backends::cuda
