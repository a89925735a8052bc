// The defaults of compute_backend's optional parts, and how a backend's
// exception becomes a status.
#include "compute_backend.hpp"

#include <new>

namespace switchyard::detail {

status status::failure(errc c, std::string why) {
  return {std::make_unique<details>(details{c, std::move(why), {}})};
}

status status::current_exception() noexcept {
  try {
    try {
      throw;
    } catch (const error& e) {
      return failure(static_cast<errc>(e.code().value()), e.what());
    } catch (const std::bad_alloc&) {
      return failure(errc::resource_exhausted, "out of memory");
    } catch (...) {
      // The caller's own code threw (a transform_reduce callable): rethrown as it was.
      return {std::make_unique<details>(details{errc{}, {}, std::current_exception()})};
    }
  } catch (...) {
    // No memory left even for the details: say so without them.
    return {std::unique_ptr<details>(new (std::nothrow) details{errc::resource_exhausted, {}, {}})};
  }
}

void status::raise() const {
  if (!failed) throw error(errc::resource_exhausted, "a backend failed and there was no memory to say why");
  if (failed->thrown) std::rethrow_exception(failed->thrown);
  throw error(failed->code, failed->message.empty() ? "out of memory" : failed->message);
}

status compute_backend::run_chunks(std::size_t, unsigned, function_ref<void(std::size_t)>) noexcept {
  return status::failure(errc::unsupported_operation, "this backend runs only the built-in operations");
}

status compute_backend::post(std::function<void()>) noexcept {
  return status::failure(errc::unsupported_operation, "this backend takes no posted jobs");
}

}  // namespace switchyard::detail
