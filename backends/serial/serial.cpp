// The serial backend: every chunk runs on the caller's thread, one after
// another, through the scalar reference kernels. Always available, last in
// the registry: the fallback that requires nothing.
#include <memory>

#include <switchyard/engine.hpp>

#include "backends/chunked/chunked_backend.hpp"
#include "kernels/scalar/reduce_scalar.hpp"

namespace switchyard::backends::serial {
namespace {

struct scalar_kernels {
  template <class T, class... A> static auto sum(const T* x, A... a) { return kernels::scalar::sum(x, a...); }
  template <class T, class... A> static auto dot(const T* x, A... a) { return kernels::scalar::dot(x, a...); }
  template <class T, class... A> static auto sum_of_squares(const T* x, A... a) { return kernels::scalar::sum_of_squares(x, a...); }
  template <class T, class... A> static auto sum_of_squares_wide(const T* x, A... a) { return kernels::scalar::sum_of_squares_wide(x, a...); }
  template <class T, class... A> static auto argmin(const T* x, A... a) { return kernels::scalar::argmin(x, a...); }
  template <class T, class... A> static auto argmax(const T* x, A... a) { return kernels::scalar::argmax(x, a...); }
  template <class T, class... A> static auto minmax(const T* x, A... a) { return kernels::scalar::minmax(x, a...); }
  template <class T, class... A> static auto count(const T* x, A... a) { return kernels::scalar::count(x, a...); }
};

class serial_backend final : public chunked_backend<scalar_kernels> {
 public:
  std::string unavailable_reason() noexcept override { return {}; }
  bool runs_callables() const noexcept override { return true; }
};

}  // namespace

std::unique_ptr<detail::compute_backend> make(const engine_config&) { return std::make_unique<serial_backend>(); }

}  // namespace switchyard::backends::serial
