// The defaults of compute_backend's optional parts, and how a backend's
// exception becomes a status.
#include "compute_backend.hpp"

#include <new>

namespace switchyard::detail {

namespace {

/// out_of_memory()'s details: never allocated, never freed.
status::details no_memory{errc::resource_exhausted, {}, {}};

}  // namespace

void status::free_details::operator()(details* d) const noexcept {
  if (d != &no_memory) delete d;
}

status status::out_of_memory() noexcept { return {std::unique_ptr<details, free_details>(&no_memory)}; }

status status::failure(errc c, std::string_view why) noexcept {
  try {
    return {std::unique_ptr<details, free_details>(new details{c, std::string(why), {}})};
  } catch (...) {
    return out_of_memory();
  }
}

status status::current_exception() noexcept {
  // Kept as thrown (a switchyard::error, std::bad_alloc, or the caller's
  // own); capturing it allocates nothing.
  if (auto* d = new (std::nothrow) details{errc{}, {}, std::current_exception()}) {
    return {std::unique_ptr<details, free_details>(d)};
  }
  return out_of_memory();
}

void status::raise() const {
  if (!failed) throw error(errc::invalid_argument, "a status that did not fail was raised");
  if (failed->thrown) std::rethrow_exception(failed->thrown);
  if (failed.get() == &no_memory) throw std::bad_alloc();
  throw error(failed->code, failed->message);
}

status compute_backend::run_chunks(std::size_t, unsigned, function_ref<void(std::size_t)>) noexcept {
  return status::failure(errc::unsupported_operation, "this backend runs only the built-in operations");
}

status compute_backend::post(std::function<void()>) noexcept {
  return status::failure(errc::unsupported_operation, "this backend takes no posted jobs");
}

}  // namespace switchyard::detail
