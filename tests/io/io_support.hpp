// What the I/O suites share: the fixture that checks every test closed what
// it opened, a program's interval timer, and a few small tasks.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/io.hpp>

#include "support/descriptors.hpp"

namespace switchyard::testing {

/// Every test also checks that no descriptor leaked.
class Io : public ::testing::Test {
 protected:
  void SetUp() override { before_ = open_descriptors(); }
  void TearDown() override { EXPECT_EQ(leaked_since(before_), "") << "descriptors leaked"; }
  std::multiset<std::string> before_;
};

/// The set of `signal` alone, to block or wait for it.
inline sigset_t only(int signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  return set;
}

/// The timer's signals taken, for a test to check its timer fired.
inline std::atomic<long> alarms{0};
inline void count_alarm(int) { alarms.fetch_add(1, std::memory_order_relaxed); }

/// A program's interval timer, as a sampling profiler's: `signal` (SIGALRM,
/// as setitimer's ITIMER_REAL sends; SIGPROF, which the library's own
/// threads leave open) sent to the process every `period` while it lives,
/// its handler installed without SA_RESTART. Should what runs under it hang
/// (a wait the signals keep from ending), the timer is stopped after
/// `give_up_after`, so that the test fails, not hangs. The handler before it
/// is put back after.
class alarm_storm {
 public:
  explicit alarm_storm(std::chrono::microseconds period, std::chrono::seconds give_up_after = std::chrono::seconds(30),
                       int signal = SIGALRM)
      : signal_(signal) {
    struct sigaction sa{};
    sa.sa_handler = count_alarm;  // no SA_RESTART: interrupted calls fail with EINTR
    sigemptyset(&sa.sa_mask);
    ::sigaction(signal_, &sa, &old_action_);
    sigevent to_the_process{};
    to_the_process.sigev_notify = SIGEV_SIGNAL;
    to_the_process.sigev_signo = signal_;
    if (::timer_create(CLOCK_MONOTONIC, &to_the_process, &timer_) != 0) {
      ADD_FAILURE() << "timer_create: " << std::strerror(errno);
      return;
    }
    made_ = true;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(period).count();
    const timespec every{ns / 1'000'000'000, ns % 1'000'000'000};
    const itimerspec spec{every, every};
    ::timer_settime(timer_, 0, &spec, nullptr);
    watchdog_ = std::thread([this, give_up_after] {
      std::unique_lock lock(m_);
      if (cv_.wait_for(lock, give_up_after, [this] { return ending_; })) return;
      const itimerspec never{};
      ::timer_settime(timer_, 0, &never, nullptr);
      gave_up_ = true;
    });
  }
  ~alarm_storm() {
    if (made_) {
      {
        std::lock_guard lock(m_);
        ending_ = true;
      }
      cv_.notify_one();
      watchdog_.join();
    }
    // A signal the timer sent that no thread has taken yet is taken here,
    // before the default action (the end of the program) is back.
    const sigset_t just_this = only(signal_);
    sigset_t mask;
    ::pthread_sigmask(SIG_BLOCK, &just_this, &mask);
    if (made_) ::timer_delete(timer_);
    const timespec no_wait{};
    while (::sigtimedwait(&just_this, nullptr, &no_wait) == signal_) {
    }
    ::sigaction(signal_, &old_action_, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  }
  alarm_storm(const alarm_storm&) = delete;
  alarm_storm& operator=(const alarm_storm&) = delete;

  /// Whether the timer was stopped because time ran out.
  bool gave_up() const {
    std::lock_guard lock(m_);
    return gave_up_;
  }

 private:
  int signal_;
  struct sigaction old_action_{};
  timer_t timer_{};
  bool made_ = false;
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool ending_ = false;
  bool gave_up_ = false;
  std::thread watchdog_;
};

inline std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s)); }

/// A port that refuses connections on 127.0.0.1 and ::1 and that nobody else
/// can take while this lives: a socket bound to it on every address, not
/// listening. (A listener's port closed again can be the next listener's in
/// another process: ctest runs the io suites side by side.)
class refusing_port {
 public:
  refusing_port() : fd_(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    const int off = 0;
    sockaddr_in6 any{};
    any.sin6_family = AF_INET6;
    any.sin6_addr = in6addr_any;
    socklen_t length = sizeof any;
    if (fd_ < 0 || ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0 ||
        ::bind(fd_, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&any), &length) != 0) {
      ADD_FAILURE() << "could not reserve a port: " << std::strerror(errno);
    }
    port_ = ntohs(any.sin6_port);
  }
  ~refusing_port() {
    if (fd_ >= 0) ::close(fd_);
  }
  refusing_port(const refusing_port&) = delete;
  refusing_port& operator=(const refusing_port&) = delete;
  std::uint16_t port() const noexcept { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

inline task<void> nap(io::context& ctx, std::chrono::nanoseconds d) { co_await io::sleep_for(ctx, d); }

/// Accepts one connection on `listener` and sends back what it receives
/// until the peer closes its side.
inline task<void> echo_once(io::socket listener) {
  io::socket peer = co_await listener.accept();
  std::vector<std::byte> buf(4096);
  for (;;) {
    const std::size_t n = co_await peer.recv(buf);
    if (n == 0) break;
    co_await peer.send_all(std::span(buf).first(n));
  }
  co_await peer.close();
}

/// A call for the loop's queue that adds its number to `ran` when it runs,
/// then does `then` (withdraws another, throws) where there is one.
struct numbered_call : io::detail::posted_call {
  numbered_call(std::vector<int>& into, int number, std::function<void()> and_then = {})
      : ran(&into), n(number), then(std::move(and_then)) {
    act = [](posted_call& c, action a) {
      auto& self = static_cast<numbered_call&>(c);
      if (a != action::run) return;
      self.ran->push_back(self.n);
      if (self.then) self.then();
    };
  }
  std::vector<int>* ran;
  int n;
  std::function<void()> then;
};

}  // namespace switchyard::testing
