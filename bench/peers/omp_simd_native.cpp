// Peers: an OpenMP SIMD reduction for this CPU, alone and on several threads.
#include <algorithm>
#include <thread>
#include <vector>

#include "peers.hpp"

namespace switchyard::bench {

float omp_simd_native(const float* p, std::size_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (std::size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

float read_loop_threads(const float* p, std::size_t n, unsigned threads) {
  std::vector<float> partial(threads);
  std::vector<std::thread> pool;
  const std::size_t share = (n + threads - 1) / threads;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([=, &partial] {
      const std::size_t begin = std::min(n, t * share);
      partial[t] = omp_simd_native(p + begin, std::min(n, begin + share) - begin);
    });
  }
  for (auto& th : pool) th.join();
  float s = 0.0f;
  for (float x : partial) s += x;
  return s;
}

}  // namespace switchyard::bench
