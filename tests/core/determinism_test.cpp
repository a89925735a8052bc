// deterministic = true: the same bits from every CPU backend, every thread
// or worker-process count and every SIMD target compiled in, for every op,
// and from a small call's whole-call path and the stepwise one. The cross-target
// check is what makes results reproducible from one machine to another.
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

#include <switchyard/detail/partial.hpp>
#include <switchyard/switchyard.hpp>

#include "kernels/simd/reduce_kernels.hpp"
#include "support/cache_lines.hpp"
#include "support/cpu_tunings.hpp"
#include "support/fingerprint.hpp"
#include "support/reference.hpp"
#include "support/sanitizers.hpp"
#include "support/simd_targets.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;
using st::fingerprint;
using st::fingerprint_every_accuracy;

namespace {

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
void check_backends_and_threads() {
  // Under ThreadSanitizer the worker processes' work is theirs alone (TSan
  // sees no further than this process, and the pool's own threads are
  // processes_test's): their part was nearly half of this test there.
  const bool with_processes = sy::availability(sy::backend::processes).available && !st::thread_sanitized;
  for (std::size_t n : {std::size_t{1}, std::size_t{1000}, std::size_t{1} << 16, (std::size_t{5} << 16) + 3,
                        (std::size_t{1} << 20) + 17}) {
    const auto v = st::random_values<T>(n, n);
    const auto y = st::random_values<T>(n, n + 1);
    for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " accuracy=" + std::string(sy::to_string(a)));
      const auto want = fingerprint(v, y, {.backend = sy::backend::serial, .deterministic = true, .accuracy = a});
      EXPECT_EQ(fingerprint(v, y, {.backend = sy::backend::simd, .deterministic = true, .accuracy = a}), want);
      for (unsigned threads = 1; threads <= 4; ++threads) {
        EXPECT_EQ(fingerprint(v, y, {.backend = sy::backend::threads, .deterministic = true, .accuracy = a,
                                     .max_threads = threads}),
                  want)
            << threads << " threads";
      }
      if (!with_processes) continue;
      // Worker processes, over a std::vector (copied) and a shared_array (in place).
      const sy::shared_array<T> sv{std::span<const T>(v)}, sy_{std::span<const T>(y)};
      for (unsigned workers = 1; workers <= 3; ++workers) {
        const sy::options o{.backend = sy::backend::processes, .deterministic = true, .accuracy = a,
                            .max_threads = workers};
        EXPECT_EQ(fingerprint(v, y, o), want) << workers << " workers, vector input";
        EXPECT_EQ(fingerprint(std::span<const T>(sv), std::span<const T>(sy_), o), want)
            << workers << " workers, shared_array input";
      }
    }
  }
}

TEST(Determinism, BackendsAndThreadCountsAgreeBitwise) {
  check_backends_and_threads<float>();
  check_backends_and_threads<double>();
  check_backends_and_threads<std::int32_t>();
  check_backends_and_threads<std::int64_t>();
  check_backends_and_threads<std::uint8_t>();
}

/// run(c)'s result, which a call of one chunk on serial, simd or threads gets
/// from its whole-call path, against the same call taken step by step
/// (reduce_partial, then finish: the backend's reduce(), as MPI runs it).
template <class R>
void expect_whole_call_as_stepwise(const sy::detail::call& c) {
  namespace d = sy::detail;
  R whole{}, stepwise{};
  d::run(c, &whole);
  d::partials ps;
  while (ps.next != d::pass::done) {
    ps.of_next() = d::reduce_partial(c, ps.next, 0, ps.scale);
    d::finish(c, ps, &stepwise);
  }
  if constexpr (std::is_floating_point_v<R>) {
    EXPECT_TRUE(same_bits(whole, stepwise)) << sy::to_string(c.op) << ": " << whole << " != " << stepwise;
  } else {
    EXPECT_TRUE(whole == stepwise) << sy::to_string(c.op);
  }
}

template <class T>
void check_whole_calls(std::span<const T> v, std::span<const T> y, const sy::options& o) {
  namespace d = sy::detail;
  expect_whole_call_as_stepwise<sy::sum_t<T>>(d::describe(sy::op::sum, v, o));
  expect_whole_call_as_stepwise<sy::sum_t<T>>(d::describe(sy::op::dot, v, o, d::memory::host, y));
  expect_whole_call_as_stepwise<sy::sum_t<T>>(d::describe(sy::op::sum_of_squares, v, o));
  expect_whole_call_as_stepwise<sy::norm_t<T>>(d::describe(sy::op::norm2, v, o));
  expect_whole_call_as_stepwise<std::optional<T>>(d::describe(sy::op::min, v, o));
  expect_whole_call_as_stepwise<std::optional<T>>(d::describe(sy::op::max, v, o));
  expect_whole_call_as_stepwise<std::optional<sy::indexed<T>>>(d::describe(sy::op::argmin, v, o));
  expect_whole_call_as_stepwise<std::optional<sy::indexed<T>>>(d::describe(sy::op::argmax, v, o));
  expect_whole_call_as_stepwise<std::optional<sy::min_max<T>>>(d::describe(sy::op::minmax, v, o));
  expect_whole_call_as_stepwise<std::size_t>(d::describe_count(v, sy::gt(T(1)), o));
}

template <class T>
void check_whole_calls() {
  // Tiny, odd, exactly one chunk; and doubles big enough that norm2 must
  // rescale, which the whole-call path hands back to the stepwise one.
  for (std::size_t n : {std::size_t{1}, std::size_t{7}, std::size_t{1000}, std::size_t{1} << 16}) {
    const auto v = st::random_values<T>(n, n + 5);
    const auto y = st::random_values<T>(n, n + 6);
    for (auto b : {sy::backend::serial, sy::backend::simd, sy::backend::threads}) {
      for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
        SCOPED_TRACE("n=" + std::to_string(n) + " " + std::string(sy::to_string(b)) + " " +
                     std::string(sy::to_string(a)));
        check_whole_calls(std::span<const T>(v), std::span<const T>(y), {.backend = b, .accuracy = a});
      }
    }
  }
  if constexpr (std::is_same_v<T, double>) {
    const std::vector<double> huge(5, 1e300), tiny(5, 1e-300);
    for (auto b : {sy::backend::serial, sy::backend::simd, sy::backend::threads}) {
      for (const auto& v : {huge, tiny}) {
        expect_whole_call_as_stepwise<double>(sy::detail::describe(sy::op::norm2, std::span(v), {.backend = b}));
      }
    }
  }
}

TEST(Determinism, OneChunkCallsGiveTheStepwisePathsBits) {
  check_whole_calls<float>();
  check_whole_calls<double>();
  check_whole_calls<std::int32_t>();
  check_whole_calls<std::int64_t>();
  check_whole_calls<std::uint8_t>();
}

template <class T>
std::vector<unsigned char> simd_fingerprint(const std::vector<T>& v, const std::vector<T>& y) {
  return fingerprint_every_accuracy<T>(v, y, {.backend = sy::backend::simd, .deterministic = true});
}

TEST(Determinism, EverySimdTargetGivesTheSameBits) {
  const std::size_t n = (std::size_t{3} << 16) + 77;
  const auto f = st::random_values<float>(n, 1), fy = st::random_values<float>(n, 2);
  const auto d = st::random_values<double>(n, 3), dy = st::random_values<double>(n, 4);
  const auto serial_f = fingerprint(f, fy, {.backend = sy::backend::serial});
  const auto want_f = simd_fingerprint(f, fy);
  const auto want_d = simd_fingerprint(d, dy);
  const std::size_t checked = st::on_every_simd_target([&](auto target) {
    EXPECT_EQ(switchyard::kernels::simd::target_name(), hwy::TargetName(target));
    EXPECT_EQ(simd_fingerprint(f, fy), want_f);
    EXPECT_EQ(simd_fingerprint(d, dy), want_d);
    EXPECT_EQ(fingerprint(f, fy, {.backend = sy::backend::simd}), serial_f);
  });
  std::printf("checked %zu SIMD targets\n", checked);
}

/// The ops whose result does not depend on an order of additions, as bytes.
template <class T>
std::vector<unsigned char> order_ops(std::span<const T> v, const sy::options& o) {
  std::vector<unsigned char> out;
  auto put = [&](const auto& x) {
    const auto* p = reinterpret_cast<const unsigned char*>(&x);
    out.insert(out.end(), p, p + sizeof(x));
  };
  for (const auto& e : {*sy::argmin(v, o), *sy::argmax(v, o)}) {
    put(e.index);
    put(e.value);
  }
  const auto b = *sy::minmax(v, o);
  put(b.min);
  put(b.max);
  put(sy::count_if(v, sy::gt(T(0)), o));
  put(sy::count_if(v, sy::le(T(1)), o));
  put(sy::count_if(v, sy::lt(v[v.size() / 2]), o));
  put(sy::count_if(v, sy::eq(v[v.size() / 2]), o));
  return out;
}

/// norm2's sum of squares in double (hi, lo), before the square root: a
/// float's norm rounds the sum's last bits away, and they must agree too.
template <class T>
std::array<double, 2> norm2_squares(std::span<const T> v, const sy::options& o) {
  namespace d = sy::detail;
  const d::partial p = d::reduce_partial(d::describe(sy::op::norm2, v, o), d::pass::main);
  std::array<double, 2> sum{};
  std::memcpy(sum.data(), p.bytes, sizeof sum);
  return sum;
}

/// v and y copied to every offset from a 64-byte boundary in the buffers
/// (each at least v.size() + 2 lines long): the SIMD kernels read rows from
/// the first boundary (kernels/simd/sum-inl.h), so where the boundary falls
/// must not change a bit. dot's second input sits at another offset, so
/// only its first input's rows are aligned. sum, dot, sum_of_squares and
/// norm2 in each accuracy mode are compared with the serial kernel's, which
/// has no alignment to follow (a NaN matches any NaN: its sign is not
/// promised); also(at, mode) checks more at each offset.
template <class T, class Also>
void expect_serial_sums_at_every_offset(const std::vector<T>& v, const std::vector<T>& y, std::vector<T>& buffer_v,
                                        std::vector<T>& buffer_y, const std::string& what, Also also) {
  constexpr std::size_t line = 64 / sizeof(T);
  const std::size_t n = v.size();
  for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
    const sy::options serial{.backend = sy::backend::serial, .accuracy = a};
    const sy::options simd{.backend = sy::backend::simd, .accuracy = a};
    const auto want_sum = sy::sum(v, serial), want_dot = sy::dot(v, y, serial);
    const auto want_squares = sy::sum_of_squares(v, serial);
    const auto want_norm = sy::norm2(v, serial);
    const auto want_norm_squares = norm2_squares(std::span<const T>(v), serial);
    auto same = [](auto got, auto want) { return same_bits(got, want) || (got != got && want != want); };
    for (std::size_t offset = 0; offset < line; ++offset) {
      SCOPED_TRACE(what + " " + std::string(sy::to_string(a)) + " offset=" + std::to_string(offset));
      T* const pv = st::first_line(buffer_v) + offset;
      T* const py = st::first_line(buffer_y) + (offset * 5 + 3) % line;
      std::copy(v.begin(), v.end(), pv);
      std::copy(y.begin(), y.end(), py);
      const std::span<const T> sv(pv, n), sy_(py, n);
      EXPECT_TRUE(same(sy::sum(sv, simd), want_sum)) << sy::sum(sv, simd) << " != " << want_sum;
      EXPECT_TRUE(same(sy::dot(sv, sy_, simd), want_dot)) << sy::dot(sv, sy_, simd) << " != " << want_dot;
      EXPECT_TRUE(same(sy::sum_of_squares(sv, simd), want_squares));
      EXPECT_TRUE(same(sy::norm2(sv, simd), want_norm));
      const auto norm_squares = norm2_squares(sv, simd);
      EXPECT_TRUE(same(norm_squares[0], want_norm_squares[0]) && same(norm_squares[1], want_norm_squares[1]))
          << norm_squares[0] << " + " << norm_squares[1] << " != " << want_norm_squares[0] << " + "
          << want_norm_squares[1];
      also(sv, a);
    }
  }
}

/// The sums and the order-free ops at every offset, long enough for rows
/// from a line and for whole chunks, with each pattern.
template <class T>
void check_every_alignment(std::optional<st::pattern> p) {
  constexpr std::size_t line = 64 / sizeof(T);
  for (const std::size_t n : {std::size_t{8192} / sizeof(T) + 37, (std::size_t{1} << 16) + 5}) {
    // No pattern: one +inf among the first row's elements, so that a lane
    // is infinite from its first addition on and the total is +inf.
    auto v = st::make_pattern<T>(p.value_or(st::pattern::random), n, n);
    if (!p) v[5] = std::numeric_limits<T>::infinity();
    const auto y = st::random_values<T>(n, n + 1);
    std::vector<T> buffer_v(n + 2 * line), buffer_y(n + 2 * line);
    const std::string what = "n=" + std::to_string(n) + " " + (p ? st::name(*p) : std::string("inf_in_first_row"));
    expect_serial_sums_at_every_offset(v, y, buffer_v, buffer_y, what, [&](std::span<const T> sv, sy::accuracy a) {
      if (a == sy::accuracy::fast) {  // the other ops have no accuracy mode
        const sy::options serial_o{.backend = sy::backend::serial};
        EXPECT_EQ(order_ops(sv, {.backend = sy::backend::simd}), order_ops(std::span<const T>(v), serial_o));
      }
    });
  }
}

/// Integers: every op at every offset against the serial kernel.
template <class T>
void check_every_alignment_integers() {
  constexpr std::size_t line = 64 / sizeof(T);
  const std::size_t n = (std::size_t{1} << 16) + 5;
  const auto v = st::random_values<T>(n, 7), y = st::random_values<T>(n, 8);
  const auto want = fingerprint(v, y, {.backend = sy::backend::serial});
  std::vector<T> buffer_v(n + 2 * line), buffer_y(n + 2 * line);
  for (std::size_t offset = 0; offset < line; ++offset) {
    SCOPED_TRACE("offset=" + std::to_string(offset));
    T* pv = buffer_v.data() + offset;
    T* py = buffer_y.data() + (offset * 5 + 3) % line;
    std::copy(v.begin(), v.end(), pv);
    std::copy(y.begin(), y.end(), py);
    EXPECT_EQ(fingerprint(std::span<const T>(pv, n), std::span<const T>(py, n), {.backend = sy::backend::simd}), want);
  }
}

/// Each CPU's tuning (how the kernels read ahead and add the widened sum:
/// kernels/common/cpu_tuning.hpp) gives the serial kernel's bits, on
/// every SIMD target: in whole chunks, where the touches run, from a start
/// off a line and to an end inside a run, on simd and on two threads.
TEST(Determinism, EveryCpusTuningGivesTheSameBits) {
  const std::size_t n = (std::size_t{2} << 16) + 77;
  const auto f = st::random_values<float>(n + 1, 5), fy = st::random_values<float>(n + 1, 6);
  const auto d = st::random_values<double>(n, 7), dy = st::random_values<double>(n, 8);
  const auto b = st::random_values<std::uint8_t>(n, 9), by = st::random_values<std::uint8_t>(n, 10);
  const std::span<const float> fv(f.data() + 1, n), fw(fy.data() + 1, n);  // off a line
  auto all = [&](const sy::options& o) {
    std::vector<unsigned char> out;
    for (const auto& part : {fingerprint_every_accuracy(fv, fw, o), fingerprint_every_accuracy<double>(d, dy, o),
                             fingerprint_every_accuracy<std::uint8_t>(b, by, o)}) {
      out.insert(out.end(), part.begin(), part.end());
    }
    return out;
  };
  const auto want = all({.backend = sy::backend::serial, .deterministic = true});
  st::under_every_cpu_tuning([&] {
    st::on_every_simd_target([&](auto) {
      EXPECT_EQ(all({.backend = sy::backend::simd, .deterministic = true}), want);
      EXPECT_EQ(all({.backend = sy::backend::threads, .deterministic = true, .max_threads = 2}), want);
    });
  });
}

/// The compensated double sums of values of every magnitude: runs where
/// each lane swings by +-2^1021 to 2^1022 and nearly back (so that its sum
/// comes near the largest double and returns, finite), runs of exponents
/// from the subnormals up, and runs where the two meet. The SIMD kernels
/// find each step's rounding error by another exact method than the serial
/// kernel's (kernels/simd/sum-inl.h, CompensatedAdd: TwoSum, or Neumaier's
/// on a CPU that adds plain), and the two must agree to the bit wherever
/// the sum itself does not overflow: on every SIMD target, under every CPU's
/// tuning, on simd and on two threads.
TEST(Determinism, CompensatedSumsOfEveryMagnitudeGiveTheSerialBits) {
  constexpr std::size_t lanes = 256 / sizeof(double);  // sum_layout.hpp: element i is lane i mod 32's
  const std::size_t n = (std::size_t{2} << 16) + 77;
  std::mt19937_64 rng(16);
  auto mantissa = [&] { return 1.0 + static_cast<double>(rng() >> 12) * 0x1p-52; };
  auto sign = [&] { return (rng() & 1) != 0 ? 1.0 : -1.0; };
  std::vector<double> v(n);
  for (std::size_t pair = 0; 2 * pair * lanes < n; ++pair) {  // rows 2 pair and 2 pair + 1
    const std::size_t run = pair * 2 * lanes / 4096;
    for (std::size_t lane = 0; lane < lanes && 2 * pair * lanes + lane < n; ++lane) {
      const std::size_t i = 2 * pair * lanes + lane, j = i + lanes;
      const bool spread = run % 3 == 1 || (run % 3 == 2 && pair % 4 == 0);
      if (spread) {
        v[i] = sign() * std::ldexp(mantissa(), static_cast<int>(rng() % 2090) - 1074);
        if (j < n) v[j] = sign() * std::ldexp(mantissa(), static_cast<int>(rng() % 2090) - 1074);
      } else {
        const double swing = sign() * std::ldexp(mantissa(), 1021);
        v[i] = swing;
        if (j < n) v[j] = -swing * (1.0 + (static_cast<double>(rng() % 513) - 256.0) * 0x1p-16);
      }
    }
  }
  const auto y = st::random_values<double>(n, 17);
  const auto want = fingerprint_every_accuracy<double>(v, y, {.backend = sy::backend::serial, .deterministic = true});
  ASSERT_TRUE(std::isfinite(sy::sum(v, {.backend = sy::backend::serial})));
  st::under_every_cpu_tuning([&] {
    st::on_every_simd_target([&](auto) {
      EXPECT_EQ(fingerprint_every_accuracy<double>(v, y, {.backend = sy::backend::simd, .deterministic = true}), want);
      EXPECT_EQ(fingerprint_every_accuracy<double>(
                    v, y, {.backend = sy::backend::threads, .deterministic = true, .max_threads = 2}),
                want);
    });
  });
}

/// Short inputs at every start within a line and every length up to two
/// vectors, around rows of four and past a block: the kernels read the
/// elements before the first line boundary and after the last whole vector
/// with vectors that overlap others (kernels/simd/extremum-inl.h,
/// count-inl.h), so the least value, a tie, the greatest and a NaN are put
/// where those vectors read, and every order-free op is compared with the
/// serial kernel's.
template <class T>
void check_short_inputs() {
  constexpr std::size_t line = 64 / sizeof(T);  // also an AVX-512 vector's lanes
  const std::size_t block = 16384 / sizeof(T);  // extremum-inl.h's kBlockElements
  std::vector<std::size_t> lengths;
  for (std::size_t n = 1; n <= 2 * line + 1; ++n) lengths.push_back(n);
  for (const std::size_t rows : {3, 4, 5, 8}) {
    for (const std::size_t n : {rows * line - 1, rows * line + 1, rows * line + line / 2}) lengths.push_back(n);
  }
  lengths.push_back(block + 2 * line + 3);
  std::vector<T> buffer(block + 8 * line);
  T* const aligned = st::first_line(buffer);
  for (const std::size_t n : lengths) {
    for (int plant = 0; plant < (std::is_floating_point_v<T> ? 5 : 4); ++plant) {
      auto v = st::random_values<T>(n, n * 7 + static_cast<std::size_t>(plant));
      const T least = std::numeric_limits<T>::lowest(), greatest = std::numeric_limits<T>::max();
      if (plant == 1) v.front() = least;                  // in the first vector
      if (plant == 2) v.front() = v.back() = least;       // a tie: the first wins
      if (plant == 3) v.back() = greatest;                // in the last vector
      if (plant == 4) v[n - 1 - n / 3] = std::numeric_limits<T>::quiet_NaN();
      const auto want = order_ops(std::span<const T>(v), {.backend = sy::backend::serial});
      std::vector<unsigned char> want_all;
      if constexpr (!std::is_floating_point_v<T>) {
        want_all = fingerprint(std::span<const T>(v), std::span<const T>(v), {.backend = sy::backend::serial});
      }
      for (std::size_t offset = 0; offset < line; ++offset) {
        SCOPED_TRACE("n=" + std::to_string(n) + " plant=" + std::to_string(plant) + " offset=" + std::to_string(offset));
        T* const p = aligned + offset;
        std::copy(v.begin(), v.end(), p);
        const std::span<const T> at(p, n);
        EXPECT_EQ(order_ops(at, {.backend = sy::backend::simd}), want);
        // Integers' sums and dot wrap, so their order is free too.
        if constexpr (!std::is_floating_point_v<T>) {
          EXPECT_EQ(fingerprint(at, at, {.backend = sy::backend::simd}), want_all);
        }
        if (::testing::Test::HasFailure()) return;  // one failing case says enough
      }
    }
  }
}

TEST(Determinism, ShortInputsAtEveryStartGiveTheSerialResults) {
  const auto check = [] {
    check_short_inputs<float>();
    check_short_inputs<double>();
    check_short_inputs<std::int32_t>();
    check_short_inputs<std::int64_t>();
    check_short_inputs<std::uint8_t>();
  };
  st::on_every_simd_target([&](auto) { check(); });
}

/// The floating-point sums at every start within a line, at every length
/// up to two vectors (an input shorter than a vector is summed as a
/// zero-padded copy), around 1 KiB (where rows start at a line) and at
/// every length of a last row past it: the SIMD kernels read the first row
/// and the last row's partial vector as whole vectors inside the input
/// with their lanes moved (kernels/simd/sum-inl.h), and must give the
/// serial kernel's bits. Some inputs are all -0.0 (a lane must not become
/// -0.0 where the serial kernel's stays +0.0) or start with +inf.
template <class T>
void check_sums_at_every_start() {
  constexpr std::size_t line = 64 / sizeof(T);  // also an AVX-512 vector's lanes
  constexpr std::size_t row = 256 / sizeof(T);  // the layout's lanes (sum_layout.hpp)
  constexpr std::size_t aligned_from = 1024 / sizeof(T);
  std::vector<std::size_t> lengths;
  for (std::size_t n = 1; n <= 2 * line + 1; ++n) lengths.push_back(n);
  for (std::size_t n = aligned_from - 1; n <= aligned_from + row + 1; ++n) lengths.push_back(n);
  std::vector<T> buffer_v(aligned_from + 2 * row + 2 * line), buffer_y(buffer_v.size());
  for (const std::size_t n : lengths) {
    for (int plant = 0; plant < 3; ++plant) {
      auto v = st::random_values<T>(n, n * 3 + static_cast<std::size_t>(plant));
      if (plant == 1) std::fill(v.begin(), v.end(), T(-0.0));
      if (plant == 2) v.front() = std::numeric_limits<T>::infinity();
      const auto y = st::random_values<T>(n, n * 3 + 7);
      const std::string what = "n=" + std::to_string(n) + " plant=" + std::to_string(plant);
      expect_serial_sums_at_every_offset(v, y, buffer_v, buffer_y, what, [](std::span<const T>, sy::accuracy) {});
      if (::testing::Test::HasFailure()) return;  // one failing length says enough
    }
  }
}

TEST(Determinism, SumsAtEveryStartAndLengthGiveTheSerialBits) {
  const auto check = [] {
    check_sums_at_every_start<float>();
    check_sums_at_every_start<double>();
  };
  st::on_every_simd_target([&](auto) { check(); });
}

TEST(Determinism, EveryAlignmentGivesTheSameBits) {
  st::on_every_simd_target([](auto) {
    for (std::optional<st::pattern> p : {std::optional(st::pattern::random), std::optional(st::pattern::infinities),
                                         std::optional(st::pattern::extreme_runs), std::optional(st::pattern::nan_first),
                                         std::optional<st::pattern>()}) {
      check_every_alignment<float>(p);
      check_every_alignment<double>(p);
    }
    check_every_alignment_integers<std::int32_t>();
    check_every_alignment_integers<std::int64_t>();
    check_every_alignment_integers<std::uint8_t>();
  });
}

}  // namespace
