// switchyard's one error type. Every failure the public API reports is a
// switchyard::error whose message says what was wrong and what to do; its
// code() tells programs which kind of failure it was. Running out of the
// heap is std::bad_alloc instead, as everywhere in C++.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

#include <switchyard/detail/export.hpp>

namespace switchyard {

/// The kinds of failure, in switchyard's own error category.
enum class errc {
  invalid_argument = 1,    ///< an argument is out of range (a bad enum value, say)
  length_mismatch,         ///< two inputs that must have the same length do not
  backend_unavailable,     ///< a forced backend is not built or not usable here
  unsupported_operation,   ///< the backend cannot run this operation (a user lambda on simd)
  resource_exhausted,      ///< the system could not provide memory, processes or descriptors
                           ///< (running out of the heap is std::bad_alloc, as in the standard library)
  worker_failed,           ///< a worker process died twice on the same shard
  device_failed,           ///< a GPU call failed (a CUDA error other than running out of memory)
  timed_out,               ///< other processes (MPI ranks) did not answer within the time allowed
  communication_failed,    ///< a call into MPI failed
};

/// The std::error_category of switchyard::errc.
SWITCHYARD_API const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// Thrown by every public function on failure (but std::bad_alloc); nothing
/// is computed or changed when it is thrown.
class SWITCHYARD_API error : public std::runtime_error {
 public:
  error(errc code, const std::string& message)
      : std::runtime_error(message), code_(make_error_code(code)) {}
  const std::error_code& code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

}  // namespace switchyard

template <>
struct std::is_error_code_enum<switchyard::errc> : std::true_type {};
