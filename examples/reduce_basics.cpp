// A first switchyard program: the same reductions on every backend, the
// empty-input and NaN rules, and what a forced but unavailable backend says.
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include <switchyard/switchyard.hpp>

namespace sy = switchyard;

int main() {
  std::vector<float> v(1 << 22);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i) * 0.001f);

  for (sy::backend b : {sy::backend::serial, sy::backend::simd, sy::backend::threads}) {
    const sy::options o{.backend = b};
    const auto lowest = sy::argmin(v, o);
    std::printf("%-8s sum=%.6f  argmin=%.6f at %zu  positive=%zu\n", std::string(sy::to_string(b)).c_str(),
                double(sy::sum(v, o)), double(lowest->value), lowest->index, sy::count_if(v, sy::gt(0.0f), o));
  }

  const std::vector<double> empty;
  std::printf("empty: sum=%g, min %s\n", sy::sum(empty), sy::min(empty) ? "present" : "absent");

  v[1000] = std::numeric_limits<float>::quiet_NaN();
  std::printf("with a NaN at 1000: argmax index=%zu\n", sy::argmax(v)->index);

  try {
    (void)sy::sum(v, {.backend = sy::backend::cuda});
  } catch (const sy::error& e) {
    std::printf("forcing cuda: %s\n", e.what());
  }
  return 0;
}
