// Where each rank's part sits in the whole input, and which chunks of the
// one-process tree each rank reduces: a chunk belongs to the rank that holds
// its first element, so a rank sends the elements before its first chunk
// boundary (its lead) to that chunk's owner and receives the elements after
// its part that its last chunk needs (its tail). Pure arithmetic, the same on
// every rank.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace switchyard::mpi::detail {

struct layout {
  std::vector<std::uint64_t> first;  ///< each rank's first global index
  std::vector<std::uint64_t> count;  ///< each rank's element count
  std::uint64_t total = 0;

  explicit layout(const std::vector<std::uint64_t>& counts) : count(counts) {
    first.reserve(counts.size());
    for (const std::uint64_t n : counts) {
      first.push_back(total);
      total += n;
    }
  }

  /// The rank that holds global element e (< total).
  int holder(std::uint64_t e) const noexcept {
    // The last rank whose part starts at or before e among those not empty.
    int r = static_cast<int>(std::upper_bound(first.begin(), first.end(), e) - first.begin()) - 1;
    while (count[static_cast<std::size_t>(r)] == 0) --r;
    return r;
  }
};

struct ownership {
  std::uint64_t lead = 0;   ///< elements at the start of the part that an earlier rank's chunk holds
  int lead_to = -1;         ///< that rank
  std::uint64_t first_chunk = 0, end_chunk = 0;  ///< the chunks this rank reduces
  std::uint64_t tail = 0;   ///< elements after the part that its last chunk needs

  /// The end of the chunks that lie wholly in the rank's own part.
  std::uint64_t in_place_end() const noexcept { return tail > 0 ? end_chunk - 1 : end_chunk; }
};

inline ownership owned_by(const layout& l, int rank, std::uint64_t chunk) {
  const auto r = static_cast<std::size_t>(rank);
  const std::uint64_t begin = l.first[r], end = begin + l.count[r];
  ownership o;
  if (l.count[r] == 0) return o;
  if (const std::uint64_t into = begin % chunk; into != 0) {
    o.lead = std::min(l.count[r], chunk - into);
    o.lead_to = l.holder(begin - into);
  }
  o.first_chunk = (begin + chunk - 1) / chunk;
  o.end_chunk = std::max(o.first_chunk, (end + chunk - 1) / chunk);
  if (o.end_chunk > o.first_chunk) o.tail = std::min(o.end_chunk * chunk, l.total) - end;
  return o;
}

}  // namespace switchyard::mpi::detail
