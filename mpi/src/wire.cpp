// A rank's failure as bytes, and back (wire.hpp).
#include "wire.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include <switchyard/error.hpp>

namespace switchyard::mpi::detail {

verdict verdict::of_current_exception() noexcept {
  verdict v;
  std::string_view message = "an exception that is not a std::exception";
  v.code = static_cast<std::int32_t>(errc::invalid_argument);
  try {
    throw;
  } catch (const error& e) {
    v.code = e.code().value();
    message = e.what();
  } catch (const std::bad_alloc& e) {
    v.code = static_cast<std::int32_t>(errc::resource_exhausted);
    message = e.what();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
  }
  const std::size_t n = std::min(message.size(), sizeof(v.message) - 1);
  std::memcpy(v.message, message.data(), n);
  return v;
}

void verdict::throw_first_failure(const std::byte* records, std::size_t stride, int count) {
  for (int r = 0; r < count; ++r) {
    verdict v;
    std::memcpy(&v, records + static_cast<std::size_t>(r) * stride, sizeof(verdict));
    if (v.code != 0) {
      v.message[sizeof(v.message) - 1] = '\0';
      throw error(static_cast<errc>(v.code), "rank " + std::to_string(r) + ": " + v.message);
    }
  }
}

}  // namespace switchyard::mpi::detail
