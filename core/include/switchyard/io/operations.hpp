// Timers, files and TCP sockets. Each operation is an awaitable that runs on
// the context's loop; the helpers (read_exact_at, send_all, recv_exact) loop
// over short counts. A timeout bounds one operation, or a whole helper, and
// a helper's timeout_error says how many bytes were done. On the fallback
// backend a file operation runs as a blocking call on a pool thread, which
// neither a timeout nor a cancel can interrupt: a read, write or fsync ends
// when the call does (its buffer is in use until then); an open, which may
// block for good (a FIFO with no writer), ends at once with cancelled_error
// and the call is abandoned (a descriptor it opens later is closed). Files
// and sockets must not outlive their context.
#pragma once

#include <switchyard/detail/export.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <switchyard/io/context.hpp>
#include <switchyard/io/errors.hpp>
#include <switchyard/io/operation.hpp>
#include <switchyard/io/resolve.hpp>
#include <switchyard/task.hpp>

namespace switchyard::io {

using std::chrono::nanoseconds;

/// An operation whose result is a byte count.
class SWITCHYARD_API sized_operation : public detail::operation {
 public:
  using operation::operation;
  std::size_t await_resume() { return static_cast<std::size_t>(operation::await_resume()); }
};

/// An operation with no result.
class SWITCHYARD_API void_operation : public detail::operation {
 public:
  using operation::operation;
  void await_resume() { operation::await_resume(); }
};

/// Completes after d (a cancelled sleep throws cancelled_error).
SWITCHYARD_API void_operation sleep_for(context& ctx, nanoseconds d);
SWITCHYARD_API void_operation sleep_until(context& ctx, std::chrono::steady_clock::time_point t);

namespace detail {

/// A descriptor that belongs to an object of one context (a file, a socket):
/// moved, never copied; closed by close(), or synchronously by the
/// destructor (and a move onto it) while still open. Either way the loop
/// hears of it first (loop::forget_fd), and what waits on it ends.
class SWITCHYARD_API owned_descriptor {
 public:
  owned_descriptor() noexcept = default;
  owned_descriptor(context& ctx, int fd) noexcept : ctx_(&ctx), fd_(fd) {}
  owned_descriptor(owned_descriptor&& o) noexcept;
  owned_descriptor& operator=(owned_descriptor&& o) noexcept;
  owned_descriptor(const owned_descriptor&) = delete;
  owned_descriptor& operator=(const owned_descriptor&) = delete;
  ~owned_descriptor();

  /// Closes the descriptor. A socket's operations still waiting on it (an
  /// accept, a receive, a send) end with cancelled_error, on either backend
  /// (on io_uring from Linux 5.19; before, they end when their peer does).
  task<void> close();
  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }

 protected:
  context* ctx_ = nullptr;
  int fd_ = -1;

 private:
  void close_now() noexcept;
};

}  // namespace detail

/// A file opened through the context. A pipe, FIFO or terminal has no
/// offsets: there the offset of read_at and write_at is ignored, and the
/// bytes come in order.
class SWITCHYARD_API file : public detail::owned_descriptor {
 public:
  using owned_descriptor::owned_descriptor;

  /// Opens path with open(2) flags (O_CLOEXEC is added) and mode.
  static task<file> open(context& ctx, std::string path, int flags, unsigned mode = 0644);

  sized_operation read_at(std::span<std::byte> into, std::uint64_t offset, nanoseconds timeout = {});
  sized_operation write_at(std::span<const std::byte> from, std::uint64_t offset, nanoseconds timeout = {});
  /// Reads exactly into.size() bytes; reaching the end of the file first is a
  /// std::system_error (ENODATA) that says how many bytes were read.
  task<void> read_exact_at(std::span<std::byte> into, std::uint64_t offset, nanoseconds timeout = {});
  task<void> write_all_at(std::span<const std::byte> from, std::uint64_t offset, nanoseconds timeout = {});
  void_operation fsync();
  /// The size in bytes (fstat).
  std::uint64_t size() const;
};

/// A TCP socket, IPv4 or IPv6.
class SWITCHYARD_API socket : public detail::owned_descriptor {
 public:
  using owned_descriptor::owned_descriptor;

  /// A listening socket on address:port (port 0: any free port). address is
  /// a literal ("127.0.0.1", "::1", "0.0.0.0", "::": every address, IPv4
  /// too) or a name, looked up here, blocking, and its first address used.
  /// reuse_port: SO_REUSEPORT, so that a listener per context of a runtime
  /// can share the port and the kernel spreads connections over them.
  static socket listen(context& ctx, const std::string& address = "127.0.0.1", std::uint16_t port = 0,
                       int backlog = 512, bool reuse_port = false);
  /// Connects to host:port, where host is a name or an IPv4 or IPv6 literal
  /// ("::1" or "[::1]"): resolve(), then connect to the endpoints. timeout
  /// bounds the whole of it. A failure names the host and each address's
  /// reason (refused, unreachable); a timeout is a timeout_error.
  static task<socket> connect(context& ctx, std::string host, std::uint16_t port, nanoseconds timeout = {});
  /// Connects to the first of `candidates` to answer, by Happy Eyeballs
  /// (RFC 8305): the next attempt starts when the one before it fails or
  /// has run connection_attempt_delay; the first to connect wins and the
  /// others are cancelled. `name` is what errors call the destination.
  static task<socket> connect(context& ctx, std::vector<endpoint> candidates, nanoseconds timeout = {},
                              std::string name = {});
  task<socket> accept();

  sized_operation send(std::span<const std::byte> from, nanoseconds timeout = {});
  /// 0 means the peer closed its side.
  sized_operation recv(std::span<std::byte> into, nanoseconds timeout = {});
  task<void> send_all(std::span<const std::byte> from, nanoseconds timeout = {});
  /// Receives exactly into.size() bytes; the peer closing first is a
  /// std::system_error (EPIPE) that says how many bytes came.
  task<void> recv_exact(std::span<std::byte> into, nanoseconds timeout = {});
  void_operation shutdown(int how = SHUT_WR);
  std::uint16_t local_port() const;
};

}  // namespace switchyard::io
