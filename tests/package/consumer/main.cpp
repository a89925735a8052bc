// What a user writes: include the one header and call every reduction on every
// element type, each result held to a plain loop. Built with g++ and clang++,
// with -Wall -Wextra -Werror, against the static and the shared library.
#include <switchyard/switchyard.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <type_traits>
#include <vector>

namespace sy = switchyard;

namespace {

int failures = 0;

void expect(bool ok, const char* what, const char* type) {
  if (!ok) {
    std::printf("WRONG: %s over %s\n", what, type);
    ++failures;
  }
}

template <class T>
void every_reduction(const char* type) {
  std::vector<T> v(100000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>((i * 37) % 101);
  v[4242] = T{0};
  v[777] = T{100};
  using S = sy::sum_t<T>;
  S plain = 0;
  double squares = 0;
  for (T x : v) {
    plain = static_cast<S>(plain + static_cast<S>(x));
    squares += static_cast<double>(x) * static_cast<double>(x);
  }
  expect(sy::sum(v) == plain, "sum", type);
  expect(sy::sum(v, {.backend = sy::backend::threads}) == plain, "sum on threads", type);
  // Float squares pass 2^24: held to a bound, every other sum exactly.
  auto near = [&](S got) {
    return std::is_integral_v<T> ? static_cast<double>(got) == squares
                                 : std::abs(static_cast<double>(got) - squares) <=
                                       1e-6 * squares;
  };
  expect(near(sy::dot(v, v)), "dot", type);
  expect(near(sy::sum_of_squares(v)), "sum_of_squares", type);
  const double norm = static_cast<double>(sy::norm2(v));
  expect(std::abs(norm - std::sqrt(squares)) <= 1e-6 * norm, "norm2", type);
  expect(sy::min(v) == T{0} && sy::max(v) == T{100}, "min and max", type);
  const auto lowest = sy::argmin(v);
  const auto highest = sy::argmax(v);
  expect(lowest && lowest->index == 0 && lowest->value == T{0}, "argmin", type);
  expect(highest && highest->value == T{100}, "argmax", type);
  const auto bounds = sy::minmax(v);
  expect(bounds && bounds->min == T{0} && bounds->max == T{100}, "minmax", type);
  std::size_t above = 0;
  for (T x : v) above += x > T{50} ? 1 : 0;
  expect(sy::count_if(v, sy::gt(T{50})) == above, "count_if(gt)", type);
  expect(sy::count_if(v, sy::gt(50)) == above, "count_if(gt(int))", type);
  expect(sy::count_if(v, [](T x) { return x > T{50}; }) == above, "count_if(lambda)", type);
  const auto total = sy::transform_reduce(v, 0.0, std::plus<>{}, [](T x) { return static_cast<double>(x); });
  expect(total == static_cast<double>(std::accumulate(v.begin(), v.end(), 0.0)), "transform_reduce", type);
  const sy::shared_array<T> shared{std::span<const T>(v)};
  expect(sy::sum(shared, {.backend = sy::backend::processes}) == plain, "sum on processes", type);
  const std::vector<T> empty;
  expect(sy::sum(empty) == S{0} && !sy::argmin(empty), "empty input", type);
}

}  // namespace

int main() {
  every_reduction<float>("float");
  every_reduction<double>("double");
  every_reduction<std::int32_t>("int32_t");
  every_reduction<std::int64_t>("int64_t");
  every_reduction<std::uint8_t>("uint8_t");

  const std::vector<float> mixed{0.5f, 0.7f, -0.3f, 2.0f};
  expect(sy::count_if(mixed, sy::gt(0)) == 3, "count_if(gt(0)) over floats", "float");

  sy::engine two({.max_threads = 2});
  expect(std::abs(sy::sum(mixed, {.engine = &two}) - 2.9f) < 1e-6f, "sum through an engine", "float");
  const sy::decision d = sy::explain(sy::op::sum, mixed);
  expect(d.by == sy::decided_by::model && !d.reason.empty() && !d.candidates.empty() &&
             (d.backend == sy::backend::serial || d.backend == sy::backend::simd),
         "explain", "float");
  try {
    (void)sy::dot(mixed, std::vector<float>(3));
    expect(false, "dot of two lengths", "float");
  } catch (const sy::error& e) {
    expect(e.code() == sy::errc::length_mismatch, "dot's error code", "float");
  }
  std::printf("consumer: %s\n", failures == 0 ? "ok" : "WRONG");
  return failures == 0 ? 0 : 1;
}
