// The one list of compute backends.
#include "registry.hpp"

#include <array>

namespace switchyard {
namespace backends::cuda { std::unique_ptr<detail::compute_backend> make(const engine_config&); }
namespace backends::processes { std::unique_ptr<detail::compute_backend> make(const engine_config&); }
namespace backends::threads { std::unique_ptr<detail::compute_backend> make(const engine_config&); }
namespace backends::simd { std::unique_ptr<detail::compute_backend> make(const engine_config&); }
namespace backends::serial { std::unique_ptr<detail::compute_backend> make(const engine_config&); }

namespace detail {
namespace {

constexpr std::array entries{
    backend_entry{backend::cuda, "cuda", &backends::cuda::make},
    backend_entry{backend::processes, "processes", &backends::processes::make},
    backend_entry{backend::threads, "threads", &backends::threads::make},
    backend_entry{backend::simd, "simd", &backends::simd::make},
    backend_entry{backend::serial, "serial", &backends::serial::make},
};

}  // namespace

std::span<const backend_entry> registry() noexcept { return entries; }

const backend_entry* find_backend(backend b) noexcept {
  for (const backend_entry& e : entries) {
    if (e.id == b) return &e;
  }
  return nullptr;
}

}  // namespace detail
}  // namespace switchyard
