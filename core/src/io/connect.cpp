// Sockets by name: listen on a literal or a name, and connect to the first
// address that answers (Happy Eyeballs, RFC 8305).
#include <switchyard/io/event.hpp>
#include <switchyard/io/operations.hpp>
#include <switchyard/io/when_all.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

namespace switchyard::io {
namespace {

using detail::op_kind;
using detail::op_request;
using clock = std::chrono::steady_clock;

/// One attempt's outcome, kept for the error that reports them all.
struct failure {
  std::string address;
  std::error_code code;
  bool timed_out = false;
};

/// What the attempts of one connect share.
struct race {
  race(context& ctx, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      started.push_back(std::make_unique<event>(ctx));
      failed.push_back(std::make_unique<event>(ctx));
    }
  }
  std::vector<std::unique_ptr<event>> started, failed;
  std::vector<failure> failures;
};

task<void> wait_for(event& e) { co_await e.wait(); }
task<void> nap(context& ctx, nanoseconds d) { co_await sleep_for(ctx, d); }

nanoseconds left_until(clock::time_point deadline, bool bounded) {
  if (!bounded) return nanoseconds{0};
  return std::max(std::chrono::duration_cast<nanoseconds>(deadline - clock::now()), nanoseconds{1});
}

/// The error for a connect where every attempt failed: a timeout when they
/// all timed out, else the first attempt's error; the message lists each.
[[noreturn]] void throw_all_failed(const std::string& name, const std::vector<failure>& failures) {
  std::string what = "connect to " + name + ":";
  bool all_timed_out = true;
  for (const failure& f : failures) {
    what += " " + f.address + ": " + (f.timed_out ? std::string("timed out") : f.code.message()) + ";";
    all_timed_out = all_timed_out && f.timed_out;
  }
  what.pop_back();
  if (all_timed_out) throw timeout_error(what, 0);
  throw std::system_error(failures.front().code, what);
}

/// One connection attempt: a socket of the endpoint's family, connected.
task<socket> attempt_one(context& ctx, const endpoint& to, nanoseconds timeout) {
  socket s(ctx, ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.native_handle() < 0) throw std::system_error(errno, std::generic_category(), "socket");
  const int one = 1;
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  op_request r{op_kind::connect, s.native_handle()};
  r.address = to.address();
  r.address_length = to.length();
  r.timeout = timeout;
  co_await void_operation(ctx.loop(), r, "connect");
  co_return s;
}

/// Attempt i of a race: waits its turn, connects, and on failure lets the
/// next one start; a loser that is not the last to fail waits to be
/// cancelled, so that when_any's first finisher is a winner or the end.
task<socket> attempt(context& ctx, race& r, const std::vector<endpoint>& to, std::size_t i, std::string name,
                     clock::time_point deadline, bool bounded) {
  if (i > 0) {
    co_await r.started[i - 1]->wait();
    std::vector<task<void>> turn;
    turn.push_back(wait_for(*r.failed[i - 1]));
    turn.push_back(nap(ctx, connection_attempt_delay));
    co_await when_any(std::move(turn));
  }
  r.started[i]->set();
  try {
    co_return co_await attempt_one(ctx, to[i], left_until(deadline, bounded));
  } catch (const cancelled_error&) {
    throw;
  } catch (const timeout_error& e) {
    r.failures.push_back({to[i].to_string(), e.code(), true});
  } catch (const std::system_error& e) {
    r.failures.push_back({to[i].to_string(), e.code(), false});
  }
  r.failed[i]->set();
  if (r.failures.size() == to.size()) throw_all_failed(name, r.failures);
  event never(ctx);
  co_await never.wait();
  throw std::logic_error("connect: a losing attempt was resumed without being cancelled");
}

}  // namespace

socket socket::listen(context& ctx, const std::string& address, std::uint16_t port, int backlog, bool reuse_port) {
  std::optional<endpoint> at = endpoint::parse(address, port);
  if (!at) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    if (const int code = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &list); code != 0) {
      throw resolve_error(code, "listen on " + address);
    }
    at = endpoint(list->ai_addr, list->ai_addrlen);
    ::freeaddrinfo(list);
  }
  socket s(ctx, ::socket(at->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  const int one = 1;
  ::setsockopt(s.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port && ::setsockopt(s.fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt SO_REUSEPORT");
  }
  if (::bind(s.fd_, at->address(), at->length()) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind " + at->to_string());
  }
  if (::listen(s.fd_, backlog) != 0) throw std::system_error(errno, std::generic_category(), "listen");
  return s;
}

task<socket> socket::connect(context& ctx, std::string host, std::uint16_t port, nanoseconds timeout) {
  const bool bounded = timeout.count() > 0;
  const auto deadline = detail::deadline_after(clock::now(), timeout);
  // Appended, not concatenated: GCC 12 warns falsely (-Wrestrict) on a + chain in a coroutine.
  const bool bare_ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  std::string name;
  if (bare_ipv6) name += '[';
  name += host;
  if (bare_ipv6) name += ']';
  name += ':';
  name += std::to_string(port);
  std::vector<endpoint> to = co_await resolve(ctx, std::move(host), port);
  co_return co_await connect(ctx, std::move(to), left_until(deadline, bounded), std::move(name));
}

task<socket> socket::connect(context& ctx, std::vector<endpoint> candidates, nanoseconds timeout, std::string name) {
  if (candidates.empty()) throw std::system_error(EINVAL, std::generic_category(), "connect: no address to try");
  if (name.empty()) name = candidates.front().to_string();
  if (candidates.size() == 1) {
    try {
      co_return co_await attempt_one(ctx, candidates.front(), timeout);
    } catch (const cancelled_error&) {
      throw;
    } catch (const timeout_error&) {
      throw timeout_error("connect to " + name + ": timed out", 0);
    } catch (const std::system_error& e) {
      throw std::system_error(e.code(), "connect to " + name);
    }
  }
  const bool bounded = timeout.count() > 0;
  const auto deadline = detail::deadline_after(clock::now(), timeout);
  race r(ctx, candidates.size());
  std::vector<task<socket>> attempts;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    attempts.push_back(attempt(ctx, r, candidates, i, name, deadline, bounded));
  }
  auto [winner, s] = co_await when_any(std::move(attempts));
  co_return std::move(s);
}

}  // namespace switchyard::io
