// The simd backend: every chunk runs on the caller's thread, one after
// another, through the Highway kernels dispatched to this CPU's best target.
#include <memory>

#include <switchyard/engine.hpp>

#include "backends/chunked/chunked_backend.hpp"
#include "kernels/simd/kernel_set.hpp"

namespace switchyard::backends::simd {
namespace {

class simd_backend final : public chunked_backend<kernels::simd::kernel_set> {
 public:
  std::string unavailable_reason() noexcept override { return {}; }
};

}  // namespace

std::unique_ptr<detail::compute_backend> make(const engine_config&) { return std::make_unique<simd_backend>(); }

}  // namespace switchyard::backends::simd
