// Peer: std::accumulate at -O2 (GCC does not vectorize a float sum without
// -ffast-math, so this is the scalar loop most code runs).
#include <numeric>

#include "peers.hpp"

namespace switchyard::bench {

float accumulate_o2(const float* p, std::size_t n) { return std::accumulate(p, p + n, 0.0f); }

}  // namespace switchyard::bench
