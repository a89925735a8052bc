// deterministic = true: the same bits from every CPU backend, every thread
// or worker-process count and every SIMD target compiled in, for every op,
// and from a small call's whole-call path and the stepwise one. The cross-target
// check is what makes results reproducible from one machine to another.
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <cstring>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include <switchyard/detail/partial.hpp>
#include <switchyard/switchyard.hpp>

#include "kernels/simd/reduce_kernels.hpp"
#include "support/reference.hpp"
#include "support/simd_targets.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;

namespace {

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

/// Every op's result for v and y, as bytes, so results compare bitwise.
template <class T>
std::vector<unsigned char> fingerprint(std::span<const T> v, std::span<const T> y, const sy::options& o) {
  std::vector<unsigned char> out;
  auto put = [&](const auto& x) {
    const auto* p = reinterpret_cast<const unsigned char*>(&x);
    out.insert(out.end(), p, p + sizeof(x));
  };
  put(sy::sum(v, o));
  put(sy::dot(v, y, o));
  put(sy::sum_of_squares(v, o));
  put(sy::norm2(v, o));
  put(sy::argmin(v, o)->index);
  put(sy::argmax(v, o)->value);
  put(sy::minmax(v, o)->min);
  put(sy::count_if(v, sy::gt(T(0)), o));
  return out;
}

template <class T>
std::vector<unsigned char> fingerprint(const std::vector<T>& v, const std::vector<T>& y, const sy::options& o) {
  return fingerprint(std::span<const T>(v), std::span<const T>(y), o);
}

template <class T>
void check_backends_and_threads() {
  const bool with_processes = sy::availability(sy::backend::processes).available;
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
  std::vector<unsigned char> all;
  for (auto a : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
    const auto f = fingerprint(v, y, {.backend = sy::backend::simd, .deterministic = true, .accuracy = a});
    all.insert(all.end(), f.begin(), f.end());
  }
  return all;
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
  ASSERT_GT(checked, 0u);
  std::printf("checked %zu SIMD targets\n", checked);
}

}  // namespace
