// resolve(): literals at once, names through getaddrinfo on helper threads.
#include <switchyard/io/resolve.hpp>
#include <switchyard/io/detail/stop_watch.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <coroutine>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <stop_token>
#include <utility>

#include "core/src/io/blocking_pool.hpp"

namespace switchyard::io {
namespace {

class resolve_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "resolve"; }
  std::string message(int code) const override { return ::gai_strerror(code); }
};

/// The lookups' threads, for the whole process: a lookup outlives the
/// context that asked for it when it was cancelled while it blocks. Never
/// destroyed: destroying it at exit would only wake its idle threads to
/// finish during the exit, where their teardown (glibc freeing each thread's
/// resolver state) races with whatever runs at exit, LeakSanitizer's check
/// among them.
detail::blocking_pool& lookup_threads() {
  static auto* const pool = new detail::blocking_pool(2);
  return *pool;
}

/// Interleaves the families, keeping each family's order (RFC 8305, 4).
std::vector<endpoint> interleave(std::vector<endpoint> in) {
  if (in.empty()) return in;
  std::vector<endpoint> first, other;
  for (endpoint& e : in) (e.family() == in.front().family() ? first : other).push_back(std::move(e));
  std::vector<endpoint> out;
  out.reserve(first.size() + other.size());
  for (std::size_t i = 0; i < first.size() || i < other.size(); ++i) {
    if (i < first.size()) out.push_back(first[i]);
    if (i < other.size()) out.push_back(other[i]);
  }
  return out;
}

/// One lookup, shared by the awaiting coroutine and the thread doing it.
struct lookup {
  std::mutex m;
  // Guarded by m: the thread delivers only while nobody gave up on it.
  bool delivered = false;
  bool abandoned = false;
  int code = 0;  // getaddrinfo's
  int system_errno = 0;
  std::vector<endpoint> found;
  // Weak: the job's call holds this lookup, and the pool holds the job
  // while it is queued or running, which is when abandoning it matters.
  std::weak_ptr<detail::blocking_pool::job> job;
  // How the waiter is resumed, which cannot fail: posted by the lookup's
  // thread with the result, or scheduled by a stop request (one or the
  // other, under m).
  detail::posted_resume back;
};

class lookup_awaiter {
 public:
  lookup_awaiter(context& ctx, const std::string& host, std::uint16_t port)
      : loop_(&ctx.loop()), host_(host), port_(port) {}
  lookup_awaiter(const lookup_awaiter&) = delete;
  ~lookup_awaiter() {
    // A frame destroyed while it waits: the thread must not post to it.
    std::lock_guard lock(state_->m);
    state_->abandoned = true;
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    const std::stop_token stop = switchyard::detail::stop_token_of(h);
    if (stop.stop_requested()) {
      state_->abandoned = true;
      return false;
    }
    waiter_ = h;
    start();
    on_stop_.arm(*loop_, stop, this, give_up);
    return true;
  }
  std::vector<endpoint> await_resume() {
    on_stop_.disarm();
    std::lock_guard lock(state_->m);
    if (!state_->delivered) throw cancelled_error("resolve " + host_ + ": cancelled");
    if (state_->code == EAI_SYSTEM) {
      throw std::system_error(state_->system_errno, std::generic_category(), "resolve " + host_);
    }
    if (state_->code != 0) throw resolve_error(state_->code, "resolve " + host_);
    if (state_->found.empty()) throw resolve_error(EAI_NONAME, "resolve " + host_ + ": no TCP address");
    return interleave(std::move(state_->found));
  }

 private:
  /// The task's stop, on the loop's thread: the waiter leaves a lookup
  /// that has not delivered, which goes on alone.
  static void give_up(void* self) noexcept {
    auto* a = static_cast<lookup_awaiter*>(self);
    lookup& state = *a->state_;
    {
      std::lock_guard lock(state.m);
      if (state.delivered || state.abandoned) return;
      state.abandoned = true;
    }
    if (const auto j = state.job.lock()) lookup_threads().abandon(j);
    state.back.waiter = a->waiter_;
    a->loop_->schedule(state.back);
  }

  void start() {
    // The job holds what it needs by value: it may outlive this frame.
    auto call = [state = state_, loop = loop_, h = waiter_, host = host_, port = std::to_string(port_)] {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_protocol = IPPROTO_TCP;
      addrinfo* list = nullptr;
      int code = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
      const int system_errno = errno;
      std::vector<endpoint> found;
      try {
        for (addrinfo* a = list; code == 0 && a; a = a->ai_next) {
          if (a->ai_family == AF_INET || a->ai_family == AF_INET6) found.emplace_back(a->ai_addr, a->ai_addrlen);
        }
      } catch (const std::bad_alloc&) {
        // This thread has no one to throw to: the waiter hears getaddrinfo's word for it.
        code = EAI_MEMORY;
        found.clear();
      }
      if (list) ::freeaddrinfo(list);
      std::lock_guard lock(state->m);
      if (state->abandoned) return;
      state->code = code;
      state->system_errno = system_errno;
      state->found = std::move(found);
      state->delivered = true;
      // Under the lock: the waiter cannot give up (and its context go) meanwhile.
      state->back.waiter = h;
      loop->post(state->back);
    };
    std::lock_guard lock(state_->m);
    state_->job = lookup_threads().submit(std::move(call));
  }

  detail::loop* loop_;
  std::string host_;
  std::uint16_t port_;
  std::shared_ptr<lookup> state_ = std::make_shared<lookup>();
  std::coroutine_handle<> waiter_;
  detail::stop_watch on_stop_;
};

}  // namespace

const std::error_category& resolve_category() noexcept {
  static const resolve_category_impl category;
  return category;
}

endpoint::endpoint(const sockaddr* address, socklen_t length) {
  if (length > sizeof storage_ || (address->sa_family != AF_INET && address->sa_family != AF_INET6)) {
    throw std::system_error(EAFNOSUPPORT, std::generic_category(), "endpoint: not an IPv4 or IPv6 address");
  }
  std::memcpy(&storage_, address, length);
  length_ = length;
}

std::optional<endpoint> endpoint::parse(std::string_view address, std::uint16_t port) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  const std::string text(address);
  sockaddr_in v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    return endpoint(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    return endpoint(reinterpret_cast<const sockaddr*>(&v6), sizeof v6);
  }
  return std::nullopt;
}

std::uint16_t endpoint::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string endpoint::to_string() const {
  char text[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
    // Appended: GCC 12 warns falsely (-Wrestrict) on "[" + std::string(...).
    std::string out = "[";
    out += text;
    out += "]:";
    out += std::to_string(port());
    return out;
  }
  return "(no address)";
}

task<std::vector<endpoint>> resolve(context& ctx, std::string host, std::uint16_t port) {
  if (auto literal = endpoint::parse(host, port)) co_return std::vector<endpoint>{*literal};
  if (host.empty()) throw resolve_error(EAI_NONAME, "resolve: the host name is empty");
  co_return co_await lookup_awaiter(ctx, host, port);
}

}  // namespace switchyard::io
