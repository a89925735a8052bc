// The defaults of compute_backend's optional parts, and how a backend's
// exception becomes a status.
#include "compute_backend.hpp"

#include <new>

namespace switchyard::detail {

status status::current_exception() noexcept {
  try {
    throw;
  } catch (const error& e) {
    return {static_cast<errc>(e.code().value()), e.what(), {}};
  } catch (const std::bad_alloc&) {
    return {errc::resource_exhausted, "out of memory", {}};
  } catch (...) {
    // The caller's own code threw (a transform_reduce callable): rethrown as it was.
    return {errc{}, {}, std::current_exception()};
  }
}

status compute_backend::run_chunks(std::size_t, unsigned, function_ref<void(std::size_t)>) noexcept {
  return status::failure(errc::unsupported_operation, "this backend runs only the built-in operations");
}

status compute_backend::post(std::function<void()>) noexcept {
  return status::failure(errc::unsupported_operation, "this backend takes no posted jobs");
}

}  // namespace switchyard::detail
