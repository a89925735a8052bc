// Peer: the standard library's parallel reduce (libstdc++ runs it on oneTBB).
#include <execution>
#include <numeric>

#include "peers.hpp"

namespace switchyard::bench {

float std_reduce_par_unseq(const float* p, std::size_t n) {
  return std::reduce(std::execution::par_unseq, p, p + n, 0.0f);
}

}  // namespace switchyard::bench
