// Host names and addresses. resolve() turns a name (or an IPv4 or IPv6
// literal) into the endpoints to try, without blocking the loop: the lookup
// is getaddrinfo on a helper thread, as asyncio does it, so it follows the
// system's resolver configuration (/etc/hosts, nsswitch.conf) exactly as
// every other program on the machine does, curl included. (c-ares would run
// on the loop itself, but reads /etc/hosts and DNS only.) A cancelled lookup
// ends at once; its thread finishes the call and drops the answer.
#pragma once

#include <switchyard/detail/export.hpp>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <switchyard/io/context.hpp>
#include <switchyard/io/errors.hpp>
#include <switchyard/task.hpp>

namespace switchyard::io {

/// An IPv4 or IPv6 address with a port.
class SWITCHYARD_API endpoint {
 public:
  endpoint() noexcept = default;
  /// From a socket address of family AF_INET or AF_INET6.
  endpoint(const sockaddr* address, socklen_t length);
  /// A numeric address ("127.0.0.1", "::1", "[::1]") and a port; nullopt
  /// when `address` is not one (a name, say).
  static std::optional<endpoint> parse(std::string_view address, std::uint16_t port);

  int family() const noexcept { return storage_.ss_family; }
  const sockaddr* address() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const noexcept { return length_; }
  std::uint16_t port() const noexcept;
  /// "127.0.0.1:80", "[::1]:80".
  std::string to_string() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

/// The endpoints of host:port in the order to try them: getaddrinfo's order
/// (RFC 6724), then the families interleaved, the first family first
/// (RFC 8305, section 4). A literal needs no lookup. Throws resolve_error
/// naming the host (no such host, no answer), or cancelled_error.
SWITCHYARD_API task<std::vector<endpoint>> resolve(context& ctx, std::string host, std::uint16_t port);

/// How long a connection attempt runs before the next address is also tried
/// (Happy Eyeballs, RFC 8305's recommended 250 ms).
inline constexpr std::chrono::milliseconds connection_attempt_delay{250};

}  // namespace switchyard::io
