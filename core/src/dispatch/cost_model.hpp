// The cost model: the predicted time of one call on one backend, from a
// profile. time = fixed + bytes / throughput(level the data fits in) +
// transfer (where the data must move first: a std::vector through the
// processes backend's staging copy, host memory over the bus to the GPU).
// Backends that spread chunks pay for whole rounds of chunks: three chunks on
// two workers take two chunk times, not one and a half.
#pragma once

#include <optional>
#include <span>

#include <switchyard/options.hpp>

#include "profile.hpp"

namespace switchyard::detail::dispatch {

/// A prediction, split as explain() shows it.
struct cost {
  double fixed_ns = 0;
  double bytes_ns = 0;     ///< the data's bytes over the throughput
  double transfer_ns = 0;  ///< moving the data where the backend reads it
  double total() const noexcept { return fixed_ns + bytes_ns + transfer_ns; }
};

/// One call as the model sees it.
struct query {
  kernel_key key;
  memory where = memory::host;
  std::size_t n = 0;
  unsigned workers = 1;  ///< threads or worker processes the call may use
};

/// The predicted time of q on b; nullopt when b cannot read q's data or the
/// profile holds nothing for b.
std::optional<cost> predict(const profile& p, backend b, const query& q) noexcept;

/// Throughput at `bytes`: each level's measured rate up to that level's
/// capacity (twice its measurement point `at`), moving to the next level's
/// in log(bytes) over the octave beyond.
double interpolate(const std::array<double, level_count>& gbs, const std::array<double, level_count>& at,
                   double bytes) noexcept;

/// A caller's callable over n elements on serial or threads (the only
/// backends that run one), at the profile's per-element cost.
cost predict_callable(const profile& p, backend b, std::size_t n, unsigned workers) noexcept;

/// Whether b gives the bits of the reference tree (serial's) for this key:
/// every CPU backend does; cuda only for exact ops (integers, extrema, counts).
bool same_bits_as_reference(backend b, kernel_key k) noexcept;

/// Backends within this factor of the cheapest count as a tie, won by the
/// simpler one (lower in switchyard::backend), so the choice does not flap.
inline constexpr double near_tie = 1.05;

/// The model's choice among `candidates` (ordered simplest first): the
/// simplest whose predicted time is within near_tie of the cheapest.
/// backend::automatic when no candidate can run q.
backend cheapest(const profile& p, std::span<const backend> candidates, const query& q) noexcept;

}  // namespace switchyard::detail::dispatch
