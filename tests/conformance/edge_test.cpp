// The edge semantics of DESIGN.md, one test each, on every available backend:
// empty input, NaN order, ties and signed zeros, infinities, integer
// extremes, mismatched lengths, bad options and unavailable backends, and
// caller callables.
#include <gtest/gtest.h>

#include <oneapi/tbb/task_arena.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "support/backends.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;

namespace {

class Edges : public st::backend_suite {
 protected:
  sy::options opts() const { return {.backend = GetParam()}; }
};

template <class T>
void expect_empty_results(const sy::options& o) {
  const std::vector<T> none;
  EXPECT_EQ(sy::sum(none, o), 0);
  EXPECT_EQ(sy::dot(none, none, o), 0);
  EXPECT_EQ(sy::sum_of_squares(none, o), 0);
  EXPECT_EQ(sy::norm2(none, o), 0);
  EXPECT_EQ(sy::count_if(none, sy::gt(T(0)), o), 0u);
  EXPECT_FALSE(sy::min(none, o).has_value());
  EXPECT_FALSE(sy::max(none, o).has_value());
  EXPECT_FALSE(sy::argmin(none, o).has_value());
  EXPECT_FALSE(sy::argmax(none, o).has_value());
  EXPECT_FALSE(sy::minmax(none, o).has_value());
}

TEST_P(Edges, EmptyInputGivesIdentityOrNothing) {
  expect_empty_results<float>(opts());
  expect_empty_results<double>(opts());
  expect_empty_results<std::int32_t>(opts());
  expect_empty_results<std::int64_t>(opts());
  expect_empty_results<std::uint8_t>(opts());
}

float nan_with_payload(std::uint32_t payload) {
  const std::uint32_t bits = 0x7fc00000u | payload;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::uint32_t bits_of(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

TEST_P(Edges, FirstNanWinsEverywhere) {
  // Two NaNs told apart by payload, far apart so they land in different
  // chunks; the first one is the answer of every extremum op.
  std::vector<float> v(200'000, 1.0f);
  v[70'000] = nan_with_payload(1);
  v[150'000] = nan_with_payload(2);
  v[100'000] = -5.0f;
  const auto amin = sy::argmin(v, opts());
  const auto amax = sy::argmax(v, opts());
  EXPECT_EQ(amin->index, 70'000u);
  EXPECT_EQ(amax->index, 70'000u);
  EXPECT_EQ(bits_of(amin->value), bits_of(v[70'000]));
  EXPECT_EQ(bits_of(*sy::min(v, opts())), bits_of(v[70'000]));
  EXPECT_EQ(bits_of(*sy::max(v, opts())), bits_of(v[70'000]));
  const auto mm = sy::minmax(v, opts());
  EXPECT_EQ(bits_of(mm->min), bits_of(v[70'000]));
  EXPECT_EQ(bits_of(mm->max), bits_of(v[70'000]));
  EXPECT_TRUE(std::isnan(sy::sum(v, opts())));
}

TEST_P(Edges, TiesGiveTheLowestIndex) {
  std::vector<double> v(100'000, 3.0);
  v[5] = v[77'777] = v[99'999] = -2.0;
  v[6] = v[80'000] = 9.0;
  EXPECT_EQ(sy::argmin(v, opts())->index, 5u);
  EXPECT_EQ(sy::argmax(v, opts())->index, 6u);
  const std::vector<std::uint8_t> same(1000, 42);
  EXPECT_EQ(sy::argmin(same, opts())->index, 0u);
  EXPECT_EQ(sy::argmax(same, opts())->index, 0u);
}

TEST_P(Edges, SignedZerosTieSoTheFirstWins) {
  const std::vector<float> pos_first{1.0f, +0.0f, -0.0f, 2.0f};
  const std::vector<float> neg_first{1.0f, -0.0f, +0.0f, 2.0f};
  EXPECT_FALSE(std::signbit(*sy::min(pos_first, opts())));
  EXPECT_TRUE(std::signbit(*sy::min(neg_first, opts())));
  EXPECT_EQ(sy::argmin(neg_first, opts())->index, 1u);
  std::vector<float> zeros(5000, +0.0f);
  zeros[3000] = -0.0f;
  EXPECT_FALSE(std::signbit(sy::minmax(zeros, opts())->min));
  EXPECT_FALSE(std::signbit(sy::minmax(zeros, opts())->max));
}

// Every sum starts from +0.0 (each lane, kernels/common/sum_layout.hpp), so
// negative zeros sum to +0.0 in every mode, one chunk or many, as a loop
// from 0.0f gives.
TEST_P(Edges, NegativeZerosSumToPositiveZero) {
  for (const std::size_t n : {std::size_t{3}, std::size_t{1000}, std::size_t{200000}}) {
    const std::vector<float> f(n, -0.0f);
    const std::vector<double> d(n, -0.0);
    const std::vector<float> ones(n, 1.0f);  // products -0.0
    for (const auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
      const sy::options o{.backend = GetParam(), .accuracy = a};
      SCOPED_TRACE(std::to_string(n) + " elements, " + std::string(sy::to_string(a)));
      const float fs = sy::sum(f, o);
      const double ds = sy::sum(d, o);
      EXPECT_EQ(fs, 0.0f);
      EXPECT_FALSE(std::signbit(fs));
      EXPECT_EQ(ds, 0.0);
      EXPECT_FALSE(std::signbit(ds));
      EXPECT_FALSE(std::signbit(sy::dot(f, ones, o)));
    }
  }
}

TEST_P(Edges, Infinities) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
    const sy::options o{.backend = GetParam(), .accuracy = a};
    EXPECT_EQ(sy::sum(std::vector<float>{1.0f, inf, 2.0f}, o), inf);
    EXPECT_EQ(sy::sum(std::vector<float>{-inf, 1.0f}, o), -inf);
    EXPECT_TRUE(std::isnan(sy::sum(std::vector<float>{inf, -inf}, o)));
    // Finite inputs whose sum overflows give inf, not NaN, in every mode.
    const float big = std::numeric_limits<float>::max();
    EXPECT_EQ(sy::sum(std::vector<float>(1000, big), o), inf);
    EXPECT_EQ(sy::sum(std::vector<float>(1000, -big), o), -inf);
  }
  const std::vector<double> v{3.0, -std::numeric_limits<double>::infinity(), 7.0,
                              std::numeric_limits<double>::infinity()};
  EXPECT_EQ(sy::argmin(v, opts())->index, 1u);
  EXPECT_EQ(sy::argmax(v, opts())->index, 3u);
  EXPECT_EQ(sy::norm2(v, opts()), std::numeric_limits<double>::infinity());
}

TEST_P(Edges, InfinitiesAndHugeValuesInOneLaneAreNotNan) {
  // The SIMD extremum kernels ask a sum whether a block holds a NaN: +inf
  // and -inf in one lane, or huge values that overflow both ways, make that
  // sum NaN with no NaN in the input; the answer must still be the extremes.
  for (const float big : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::max()}) {
    // Runs of 64 alternate in sign, so that every lane of every vector width
    // meets both.
    std::vector<float> v(100'003);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = (i / 64) % 2 == 0 ? big : -big;
    v[77'777] = 1.0f;
    const auto mm = sy::minmax(v, opts());
    EXPECT_EQ(mm->min, -big);
    EXPECT_EQ(mm->max, big);
    EXPECT_EQ(sy::argmin(v, opts())->index, 64u);
    EXPECT_EQ(sy::argmax(v, opts())->index, 0u);
    // A real NaN among them is still found: in the first 65,536 elements
    // (a whole chunk, scanned as a long stream's) and after them.
    for (const std::size_t at : {30'001u, 90'001u}) {
      const float was = v[at];
      v[at] = nan_with_payload(3);
      EXPECT_EQ(sy::argmin(v, opts())->index, at);
      EXPECT_EQ(sy::argmax(v, opts())->index, at);
      EXPECT_EQ(bits_of(sy::minmax(v, opts())->max), bits_of(v[at])) << "NaN at " << at;
      v[at] = was;
    }
  }
}

TEST_P(Edges, IntegerExtremesDoNotOverflow) {
  constexpr auto i32max = std::numeric_limits<std::int32_t>::max();
  constexpr auto i32min = std::numeric_limits<std::int32_t>::min();
  const std::vector<std::int32_t> high(100'001, i32max);
  const std::vector<std::int32_t> low(100'001, i32min);
  EXPECT_EQ(sy::sum(high, opts()), std::int64_t{i32max} * 100'001);
  EXPECT_EQ(sy::sum(low, opts()), std::int64_t{i32min} * 100'001);
  // 2^62 per square, 100'001 of them: beyond int64, so the sum wraps as documented,
  EXPECT_EQ(sy::sum_of_squares(std::vector<std::int32_t>(2, i32min), opts()),
            std::numeric_limits<std::int64_t>::min());
  // and norm2 works in double, so it does not.
  EXPECT_DOUBLE_EQ(sy::norm2(low, opts()), 2147483648.0 * std::sqrt(100'001.0));
  EXPECT_EQ(*sy::min(low, opts()), i32min);
  EXPECT_EQ(*sy::max(high, opts()), i32max);
  const std::vector<std::int64_t> wrap{std::numeric_limits<std::int64_t>::max(), 1};
  EXPECT_EQ(sy::sum(wrap, opts()), std::numeric_limits<std::int64_t>::min());
  const std::vector<std::uint8_t> bytes(1 << 20, 255);
  EXPECT_EQ(sy::sum(bytes, opts()), std::int64_t{255} << 20);
  EXPECT_EQ(sy::dot(bytes, bytes, opts()), std::int64_t{255 * 255} << 20);
  // Counts far past what one 8-bit lane holds (the SIMD count flushes its
  // lanes before they wrap), all true and all false, over an odd length.
  const std::vector<std::uint8_t> many(1'000'003, 200);
  EXPECT_EQ(sy::count_if(many, sy::gt(std::uint8_t{0}), opts()), 1'000'003u);
  EXPECT_EQ(sy::count_if(many, sy::eq(std::uint8_t{200}), opts()), 1'000'003u);
  EXPECT_EQ(sy::count_if(many, sy::lt(std::uint8_t{200}), opts()), 0u);
  EXPECT_EQ(sy::count_if(std::vector<float>(1'000'003, 1.0f), sy::ge(1.0f), opts()), 1'000'003u);
}

TEST_P(Edges, NormDoesNotOverflowOrUnderflow) {
  EXPECT_FLOAT_EQ(sy::norm2(std::vector<float>(4, 1e30f), opts()), 2e30f);
  EXPECT_FLOAT_EQ(sy::norm2(std::vector<float>(4, 1e-30f), opts()), 2e-30f);
  EXPECT_DOUBLE_EQ(sy::norm2(std::vector<double>(4, 1e300), opts()), 2e300);
  EXPECT_DOUBLE_EQ(sy::norm2(std::vector<double>(4, 1e-300), opts()), 2e-300);
}

TEST_P(Edges, DotOfDifferentLengthsIsAnErrorAndComputesNothing) {
  const std::vector<float> x(10, 1.0f);
  const std::vector<float> y(11, 1.0f);
  try {
    (void)sy::dot(x, y, opts());
    FAIL() << "dot of 10 and 11 elements returned";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::length_mismatch);
    EXPECT_NE(std::string(e.what()).find("10"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("11"), std::string::npos) << e.what();
  }
}

TEST_P(Edges, CallerCallablesRunOrRefuseClearly) {
  std::vector<int> v(100'000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i % 10);
  auto append = [](std::string a, const std::string& b) { return a + b; };
  auto digit = [](int x) { return std::to_string(x); };
  const std::vector<int> small{1, 2, 3, 4, 5};
  if (GetParam() == sy::backend::serial || GetParam() == sy::backend::threads) {
    // Order is kept: the combine need not be commutative.
    EXPECT_EQ(sy::transform_reduce(small, std::string(">"), append, digit, opts()), ">12345");
    EXPECT_EQ(sy::transform_reduce(std::vector<int>{}, 7LL, std::plus<>{}, [](int x) { return x; }, opts()), 7LL);
    const auto n = sy::transform_reduce(v, 0LL, std::plus<>{}, [](int x) { return x > 4 ? 1LL : 0LL; }, opts());
    EXPECT_EQ(n, 50'000);
    // An exception from the caller's code reaches the caller; often thrown
    // on a worker, whose making of it the caller must see (ThreadSanitizer
    // checks that over the repeats: docs/PERF.md, "An exception from a worker").
    auto throws = [](int x) -> long long {
      if (x == 9) throw std::domain_error("nine, in a message long enough to allocate");
      return x;
    };
    for (int repeat = 0; repeat < 100; ++repeat) {
      EXPECT_THROW((void)sy::transform_reduce(v, 0LL, std::plus<>{}, throws, opts()), std::domain_error);
    }
  } else {
    try {
      (void)sy::transform_reduce(small, 0LL, std::plus<>{}, [](int x) { return x; }, opts());
      FAIL() << "a caller transform ran on " << sy::to_string(GetParam());
    } catch (const sy::error& e) {
      EXPECT_EQ(e.code(), sy::errc::unsupported_operation);
    }
    EXPECT_THROW((void)sy::count_if(small, [](int x) { return x > 2; }, opts()), sy::error);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, Edges, ::testing::ValuesIn(st::every_backend()),
                         st::backend_name);

TEST(Backends, UnavailableOnesAreRefusedWithTheReasonAndNeverChosen) {
  const std::vector<float> v(1 << 20, 1.0f);
  for (sy::backend b : {sy::backend::processes, sy::backend::cuda}) {
    const auto s = sy::availability(b);
    if (s.available) continue;  // a later build has it: the conformance suite covers it
    EXPECT_FALSE(s.reason.empty());
    try {
      (void)sy::sum(v, {.backend = b});
      FAIL() << "forced " << sy::to_string(b) << " ran";
    } catch (const sy::error& e) {
      EXPECT_EQ(e.code(), sy::errc::backend_unavailable);
      EXPECT_NE(std::string(e.what()).find(s.reason), std::string::npos) << e.what();
    }
    // Forced but unavailable is refused even when there is nothing to compute.
    EXPECT_THROW((void)sy::sum(std::vector<float>{}, {.backend = b}), sy::error);
    if (b == sy::backend::cuda) {
      try {
        const sy::device_array<float> d(16);
        FAIL() << "a device_array was made without a usable GPU";
      } catch (const sy::error& e) {
        EXPECT_EQ(e.code(), sy::errc::backend_unavailable);
        EXPECT_NE(std::string(e.what()).find(s.reason), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_EQ(sy::sum(v), float(1 << 20));
  EXPECT_TRUE(sy::availability(sy::backend::automatic).available);
}

TEST(Backends, OutOfRangeEnumValuesAreInvalidArguments) {
  const std::vector<float> v(8, 1.0f);
  try {
    (void)sy::sum(v, {.backend = static_cast<sy::backend>(42)});
    FAIL();
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("42"), std::string::npos) << e.what();
  }
  try {
    (void)sy::sum(v, {.accuracy = static_cast<sy::accuracy>(9)});
    FAIL();
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
  }
}

TEST(Threads, MaxThreadsBoundsTheArena) {
  const std::vector<int> v(1 << 20, 1);
  for (unsigned limit : {1u, 2u, 3u}) {
    std::atomic<int> widest{0};
    (void)sy::transform_reduce(v, 0LL, std::plus<>{}, [&](int x) {
      const int c = tbb::this_task_arena::max_concurrency();
      int seen = widest.load();
      while (c > seen && !widest.compare_exchange_weak(seen, c)) {}
      return static_cast<long long>(x);
    }, {.backend = sy::backend::threads, .max_threads = limit});
    // The arena is as wide as asked, up to the engine's threads (the cores
    // within the CPU quota); one thread runs on the caller in its own
    // (default) arena.
    const int want = static_cast<int>(std::min(limit, sy::default_engine().max_threads()));
    if (want > 1) {
      EXPECT_EQ(widest.load(), want);
    }
  }
}

TEST(Errors, CategoryNamesItself) {
  const std::error_code ec = sy::errc::backend_unavailable;
  EXPECT_STREQ(ec.category().name(), "switchyard");
  EXPECT_FALSE(ec.message().empty());
}

}  // namespace
