// Building a crossover row: sample the model's choice on a geometric grid of
// sizes (every chunk count up to a few rounds, where the parallel backends'
// cost steps, and 8 sizes per octave beyond), then bisect each change of
// choice down to the exact element count.
#include "decision_table.hpp"

#include <algorithm>
#include <vector>

#include "kernels/common/chunking.hpp"

namespace switchyard::detail::dispatch {
namespace {

constexpr std::uint64_t largest_n = std::uint64_t{1} << 44;

std::vector<std::uint64_t> sample_sizes(unsigned workers) {
  std::vector<std::uint64_t> n = {0};
  for (std::uint64_t x = 1; x < largest_n; x += std::max<std::uint64_t>(1, x / 8)) n.push_back(x);
  // Every chunk count, and one element past it, up to 64 rounds: a parallel
  // backend's cost steps at each round, and a step can flip the choice for
  // a single size (threads 5.7% ahead at exactly 32 chunks on two workers,
  // simd on both sides, and the table said simd there). Past 64 rounds a
  // step is under 1/64 of the time, inside the 5% near-tie.
  for (std::uint64_t c = 1; c <= 64u * workers + 4; ++c) {
    n.push_back(c * kernels::chunk_elements);
    n.push_back(c * kernels::chunk_elements + 1);
  }
  std::sort(n.begin(), n.end());
  n.erase(std::unique(n.begin(), n.end()), n.end());
  return n;
}

}  // namespace

decision_table::decision_table(const profile& p, std::span<const backend> candidates, unsigned workers)
    : p_(p), candidates_(candidates.begin(), candidates.end()), sizes_(sample_sizes(workers)), workers_(workers) {}

void decision_table::build(row& r, kernel_key k, memory where) const noexcept {
  auto choice_at = [&](std::uint64_t n) {
    return cheapest(p_, candidates_, {k, where, static_cast<std::size_t>(n), workers_});
  };
  r.count = 0;
  backend current = choice_at(sizes_.front());
  std::uint64_t last = sizes_.front();
  for (const std::uint64_t n : sizes_) {
    // The choice changes in (last, n]: find the first size of the new one.
    while (choice_at(n) != current) {
      std::uint64_t lo = last, hi = n;
      while (hi - lo > 1) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        (choice_at(mid) == current ? lo : hi) = mid;
      }
      if (r.count + 1u < max_breakpoints) r.points[r.count++] = {hi, current};
      current = choice_at(hi);
      last = hi;
    }
    last = n;
  }
  r.points[r.count++] = {largest_n, current};
}

}  // namespace switchyard::detail::dispatch
