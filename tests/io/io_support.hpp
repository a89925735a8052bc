// What the I/O suites share: the fixture that checks every test closed what
// it opened, and a few small tasks.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
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

inline task<void> nap(io::context& ctx, std::chrono::nanoseconds d) { co_await io::sleep_for(ctx, d); }

}  // namespace switchyard::testing
