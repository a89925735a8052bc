// Peers: an OpenMP SIMD reduction for this CPU, alone and on several threads.
#include "peers.hpp"

namespace switchyard::bench {

float omp_simd_native(const float* p, std::size_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (std::size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

float read_loop_threads(const float* p, std::size_t n, unsigned threads) {
  return sum_in_shares(omp_simd_native, p, n, threads);
}

}  // namespace switchyard::bench
