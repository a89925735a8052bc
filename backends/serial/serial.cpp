// The serial backend: every chunk runs on the caller's thread, one after
// another, through the scalar reference kernels. Always available, last in
// the registry: the fallback that requires nothing.
#include <memory>

#include <switchyard/engine.hpp>

#include "backends/chunked/chunked_backend.hpp"
#include "kernels/scalar/kernel_set.hpp"

namespace switchyard::backends::serial {
namespace {

class serial_backend final : public chunked_backend<kernels::scalar::kernel_set> {
 public:
  std::string unavailable_reason() noexcept override { return {}; }
  bool runs_callables() const noexcept override { return true; }
};

}  // namespace

std::unique_ptr<detail::compute_backend> make(const engine_config&) { return std::make_unique<serial_backend>(); }

}  // namespace switchyard::backends::serial
