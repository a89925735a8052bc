// The I/O layer's exceptions. Every failed operation throws std::system_error
// with the errno and a message naming the operation (a refused connect is
// std::errc::connection_refused, a reset peer std::errc::connection_reset);
// these two subclasses mark the failures a program usually handles apart.
#pragma once

#include <switchyard/detail/export.hpp>
#include <cerrno>
#include <cstddef>
#include <string>
#include <system_error>

namespace switchyard::io {

/// The operation was cancelled through its task's stop_token.
class SWITCHYARD_API cancelled_error : public std::system_error {
 public:
  explicit cancelled_error(const std::string& what)
      : std::system_error(ECANCELED, std::generic_category(), what) {}
};

/// The operation's timeout expired; bytes_transferred() says how much of a
/// send_all / recv_exact / read_exact_at had been done by then.
class SWITCHYARD_API timeout_error : public std::system_error {
 public:
  timeout_error(const std::string& what, std::size_t bytes)
      : std::system_error(ETIMEDOUT, std::generic_category(), what), bytes_(bytes) {}
  std::size_t bytes_transferred() const noexcept { return bytes_; }

 private:
  std::size_t bytes_;
};

/// getaddrinfo's errors (EAI_NONAME, EAI_AGAIN, ...) as error codes.
SWITCHYARD_API const std::error_category& resolve_category() noexcept;

/// A host name could not be turned into addresses; code() is in
/// resolve_category() (EAI_NONAME: no such host), what() names the host.
class SWITCHYARD_API resolve_error : public std::system_error {
 public:
  resolve_error(int eai_code, const std::string& what) : std::system_error(eai_code, resolve_category(), what) {}
};

}  // namespace switchyard::io
