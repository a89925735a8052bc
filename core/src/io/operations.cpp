// Timers, files and TCP sockets on the context's loop.
#include <switchyard/io/operations.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace switchyard::io {
namespace {

using detail::op_kind;
using detail::op_request;
using clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// What is left of a helper's timeout; a helper with no timeout passes 0.
nanoseconds remaining(clock::time_point deadline, bool bounded) {
  if (!bounded) return nanoseconds{0};
  const auto left = std::chrono::duration_cast<nanoseconds>(deadline - clock::now());
  return std::max(left, nanoseconds{1});
}

/// Runs op(offset done, bytes left, timeout left) until `total` bytes are
/// done; a timeout reports the bytes done so far.
/// eof_error: the errno when the other end ends first.
template <class Op>
task<void> loop_until_done(std::size_t total, nanoseconds timeout, std::string what, int eof_error, Op op) {
  const bool bounded = timeout.count() > 0;
  const auto deadline = detail::deadline_after(clock::now(), timeout);
  std::size_t done = 0;
  while (done < total) {
    std::size_t n;
    try {
      n = co_await op(done, remaining(deadline, bounded));
    } catch (const timeout_error&) {
      throw timeout_error(what + ": timed out after " + std::to_string(done) + " of " + std::to_string(total) +
                              " bytes",
                          done);
    }
    if (n == 0) {
      throw std::system_error(eof_error, std::generic_category(),
                              what + ": the other end ended after " + std::to_string(done) + " of " +
                                  std::to_string(total) + " bytes");
    }
    done += n;
  }
}

}  // namespace

void_operation sleep_for(context& ctx, nanoseconds d) {
  op_request r{op_kind::sleep};
  r.duration = d;
  return void_operation(ctx.loop(), r, "sleep");
}

void_operation sleep_until(context& ctx, clock::time_point t) {
  // Subtracted only when t is ahead: now - time_point::min() would overflow.
  const auto now = clock::now();
  return sleep_for(ctx, t <= now ? nanoseconds{0} : std::chrono::duration_cast<nanoseconds>(t - now));
}

// ---- descriptors owned by a file or a socket

namespace detail {

owned_descriptor::owned_descriptor(owned_descriptor&& o) noexcept : ctx_(o.ctx_), fd_(std::exchange(o.fd_, -1)) {}

owned_descriptor& owned_descriptor::operator=(owned_descriptor&& o) noexcept {
  if (this != &o) {
    close_now();
    ctx_ = o.ctx_;
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

owned_descriptor::~owned_descriptor() { close_now(); }

void owned_descriptor::close_now() noexcept {
  if (fd_ < 0) return;
  if (ctx_) ctx_->loop().forget_fd(fd_);
  ::close(std::exchange(fd_, -1));
}

task<void> owned_descriptor::close() {
  if (fd_ < 0) co_return;
  ctx_->loop().forget_fd(fd_);
  const int fd = std::exchange(fd_, -1);
  co_await void_operation(ctx_->loop(), op_request{op_kind::close, fd}, "close");
}

}  // namespace detail

// ---- file

task<file> file::open(context& ctx, std::string path, int flags, unsigned mode) {
  op_request r{op_kind::open};
  r.path = path.c_str();
  r.flags = flags;
  r.mode = mode;
  detail::operation op(ctx.loop(), r, "open");
  long fd;
  try {
    fd = co_await op;
  } catch (const std::system_error& e) {
    if (dynamic_cast<const cancelled_error*>(&e)) throw;
    throw std::system_error(e.code(), "open " + path);
  }
  co_return file(ctx, static_cast<int>(fd));
}

sized_operation file::read_at(std::span<std::byte> into, std::uint64_t offset, nanoseconds timeout) {
  op_request r{op_kind::read, fd_, into.data(), into.size(), offset};
  r.timeout = timeout;
  return sized_operation(ctx_->loop(), r, "read");
}

sized_operation file::write_at(std::span<const std::byte> from, std::uint64_t offset, nanoseconds timeout) {
  op_request r{op_kind::write, fd_, const_cast<std::byte*>(from.data()), from.size(), offset};
  r.timeout = timeout;
  return sized_operation(ctx_->loop(), r, "write");
}

task<void> file::read_exact_at(std::span<std::byte> into, std::uint64_t offset, nanoseconds timeout) {
  co_await loop_until_done(into.size(), timeout, "read_exact_at", ENODATA, [&](std::size_t done, nanoseconds left) {
    return read_at(into.subspan(done), offset + done, left);
  });
}

task<void> file::write_all_at(std::span<const std::byte> from, std::uint64_t offset, nanoseconds timeout) {
  co_await loop_until_done(from.size(), timeout, "write_all_at", EIO, [&](std::size_t done, nanoseconds left) {
    return write_at(from.subspan(done), offset + done, left);
  });
}

void_operation file::fsync() { return void_operation(ctx_->loop(), op_request{op_kind::fsync, fd_}, "fsync"); }

std::uint64_t file::size() const {
  struct stat st{};
  if (::fstat(fd_, &st) != 0) throw_errno("fstat");
  return static_cast<std::uint64_t>(st.st_size);
}

// ---- socket (listen and connect: connect.cpp)

task<socket> socket::accept() {
  detail::operation op(ctx_->loop(), op_request{op_kind::accept, fd_}, "accept");
  const long fd = co_await op;
  const int one = 1;
  ::setsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  co_return socket(*ctx_, static_cast<int>(fd));
}

sized_operation socket::send(std::span<const std::byte> from, nanoseconds timeout) {
  op_request r{op_kind::send, fd_, const_cast<std::byte*>(from.data()), from.size()};
  r.timeout = timeout;
  return sized_operation(ctx_->loop(), r, "send");
}

sized_operation socket::recv(std::span<std::byte> into, nanoseconds timeout) {
  op_request r{op_kind::recv, fd_, into.data(), into.size()};
  r.timeout = timeout;
  return sized_operation(ctx_->loop(), r, "recv");
}

task<void> socket::send_all(std::span<const std::byte> from, nanoseconds timeout) {
  co_await loop_until_done(from.size(), timeout, "send_all", EPIPE, [&](std::size_t done, nanoseconds left) {
    return send(from.subspan(done), left);
  });
}

task<void> socket::recv_exact(std::span<std::byte> into, nanoseconds timeout) {
  co_await loop_until_done(into.size(), timeout, "recv_exact", EPIPE, [&](std::size_t done, nanoseconds left) {
    return recv(into.subspan(done), left);
  });
}

void_operation socket::shutdown(int how) {
  op_request r{op_kind::shutdown, fd_};
  r.flags = how;
  return void_operation(ctx_->loop(), r, "shutdown");
}

std::uint16_t socket::local_port() const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) throw_errno("getsockname");
  return endpoint(reinterpret_cast<const sockaddr*>(&a), len).port();
}

}  // namespace switchyard::io
