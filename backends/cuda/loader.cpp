// The cuda backend as the engine sees it: a stand-in that loads the module
// (libswitchyard_cuda.so, module.cpp) on first need and forwards to it. In a
// build without nvcc there is no module, and the reason says so. Where the
// module is looked for, in order: $SWITCHYARD_CUDA_MODULE; beside the library
// (or the program it is linked into); the loader's search path (LD_LIBRARY_PATH,
// ld.so.cache); the install and build folders this build was configured with.
#include <dlfcn.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <switchyard/config.h>
#include <switchyard/engine.hpp>

#include "backends/cuda/module_entry.hpp"
#include "core/src/compute_backend.hpp"
#include "core/src/gpu_report.hpp"
#include "core/src/set_up_once.hpp"

namespace switchyard::backends::cuda {
namespace {

#if SWITCHYARD_HAS_CUDA
std::vector<std::string> module_candidates() {
  std::vector<std::string> out;
  if (const char* path = std::getenv("SWITCHYARD_CUDA_MODULE"); path && *path) out.emplace_back(path);
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&module_candidates), &self) != 0 && self.dli_fname != nullptr) {
    std::string dir = self.dli_fname;
    dir.resize(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/') + 1);
    if (!dir.empty()) out.push_back(dir + module_soname);
  }
  out.emplace_back(module_soname);
#ifdef SWITCHYARD_CUDA_MODULE_INSTALLED
  out.emplace_back(SWITCHYARD_CUDA_MODULE_INSTALLED);
#endif
#ifdef SWITCHYARD_CUDA_MODULE_BUILT
  out.emplace_back(SWITCHYARD_CUDA_MODULE_BUILT);
#endif
  return out;
}
#endif

constexpr const char* for_device_array = "device_array needs the cuda backend, which cannot run here: ";

class cuda_loader final : public detail::compute_backend, public detail::device_memory {
 public:
  std::string unavailable_reason() override {
    load();
    return reason_;
  }
  bool reads(detail::memory) const noexcept override { return true; }

  detail::status reduce(const kernels::reduction& r, const detail::placement& p, void* partial) noexcept override {
    if (detail::status why = unusable("backend cuda cannot run here: "); !why.ok()) return why;
    return module_->reduce(r, p, partial);
  }

  detail::device_memory* memory_on_device() noexcept override { return this; }
  detail::status allocate(std::size_t bytes, void** device) noexcept override {
    if (detail::status why = unusable(for_device_array); !why.ok()) return why;
    return module_->memory_on_device()->allocate(bytes, device);
  }
  void release(void* device) noexcept override {
    if (device != nullptr && usable()) module_->memory_on_device()->release(device);
  }
  detail::status copy_to_device(void* device, const void* host, std::size_t bytes) noexcept override {
    if (detail::status why = unusable(for_device_array); !why.ok()) return why;
    return module_->memory_on_device()->copy_to_device(device, host, bytes);
  }
  detail::status copy_to_host(void* host, const void* device, std::size_t bytes) noexcept override {
    if (detail::status why = unusable(for_device_array); !why.ok()) return why;
    return module_->memory_on_device()->copy_to_host(host, device, bytes);
  }

  /// The module's report, once it is loaded and a GPU can run here.
  detail::gpu_report* report_on_gpu() noexcept override { return usable() ? module_->report_on_gpu() : nullptr; }

 private:
  /// Loads the module once; std::bad_alloc leaves it to a later call.
  void load() {
    loaded_.run([this] { reason_ = open_module(); });
  }

  /// Whether the module runs here (false where loading ran out of memory).
  bool usable() noexcept {
    try {
      load();
      return reason_.empty();
    } catch (...) {
      return false;
    }
  }

  /// Nothing when the module runs here; else its reason after `what`, or
  /// std::bad_alloc's status where loading or saying so ran out of memory.
  detail::status unusable(const char* what) noexcept {
    try {
      load();
      if (reason_.empty()) return {};
      return detail::status::failure(errc::backend_unavailable, what + reason_);
    } catch (...) {
      return detail::status::current_exception();
    }
  }

  std::string open_module() {
#if SWITCHYARD_HAS_CUDA
    std::string tried;
    for (const std::string& path : module_candidates()) {
      // Never closed: the backend's code must outlive every object it made.
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        tried += (tried.empty() ? "" : "; ") + std::string(dlerror());
        continue;
      }
      using entry_fn = detail::compute_backend* (*)(std::uint32_t);
      auto entry = reinterpret_cast<entry_fn>(dlsym(handle, module_entry));
      detail::compute_backend* made = entry ? entry(module_abi) : nullptr;
      if (made == nullptr) {
        tried += (tried.empty() ? "" : "; ") + path + " is from another build of switchyard";
        continue;
      }
      module_.reset(made);
      return module_->unavailable_reason();
    }
    return "the cuda backend's module (" + std::string(module_soname) + ") could not be loaded (" + tried +
           "); set SWITCHYARD_CUDA_MODULE to its path";
#else
    return "the cuda backend is not part of this build of switchyard (no nvcc was found when it was "
           "configured, or SWITCHYARD_ENABLE_CUDA=OFF); install the CUDA toolkit and rebuild, or use a CPU backend";
#endif
  }

  detail::set_up_once loaded_;
  std::string reason_;
  std::unique_ptr<detail::compute_backend> module_;
};

}  // namespace

std::unique_ptr<detail::compute_backend> make(const engine_config&) { return std::make_unique<cuda_loader>(); }

}  // namespace switchyard::backends::cuda
