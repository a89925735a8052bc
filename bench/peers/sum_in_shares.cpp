// Peers on several cores: one sum function over contiguous shares, a thread
// each, the shares' sums added in order.
#include <algorithm>
#include <thread>
#include <vector>

#include "peers.hpp"

namespace switchyard::bench {

float sum_in_shares(float (*sum)(const float*, std::size_t), const float* p, std::size_t n, unsigned threads) {
  std::vector<float> partial(threads);
  std::vector<std::thread> pool;
  const std::size_t share = (n + threads - 1) / threads;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([=, &partial] {
      const std::size_t begin = std::min(n, t * share);
      partial[t] = sum(p + begin, std::min(n, begin + share) - begin);
    });
  }
  for (auto& th : pool) th.join();
  float s = 0.0f;
  for (float x : partial) s += x;
  return s;
}

}  // namespace switchyard::bench
