// What the I/O suites share: the fixture that checks every test closed what
// it opened, and a few small tasks.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <set>
#include <span>
#include <string>

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

}  // namespace switchyard::testing
