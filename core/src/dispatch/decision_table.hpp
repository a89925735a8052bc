// The cost model turned into crossover sizes once, when a profile is loaded:
// for every kernel key and data location, the sizes at which the cheapest
// backend changes. A decision is then a scan of a handful of breakpoints: no
// lock, no allocation, no floating point.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "cost_model.hpp"

namespace switchyard::detail::dispatch {

class decision_table {
 public:
  /// Rows for `candidates` (simplest first) at `workers` threads, for calls
  /// whose bits may come from any candidate (deterministic = false).
  decision_table(const profile& p, std::span<const backend> candidates, unsigned workers);

  /// The model's choice; backend::automatic when no candidate reads `where`.
  backend pick(kernel_key k, memory where, std::size_t n) const noexcept {
    const row& r = rows_[index_of(k) * location_count + static_cast<std::size_t>(where)];
    for (std::uint8_t i = 0; i + 1 < r.count; ++i) {
      if (n < r.points[i].below) return r.points[i].choice;
    }
    return r.points[r.count - 1].choice;
  }

  unsigned workers() const noexcept { return workers_; }

  /// The sizes (in elements) where row (k, where) changes backend.
  struct breakpoint {
    std::uint64_t below;  ///< the choice holds for n < below
    backend choice;
  };
  std::span<const breakpoint> row_of(kernel_key k, memory where) const noexcept {
    const row& r = rows_[index_of(k) * location_count + static_cast<std::size_t>(where)];
    return {r.points.data(), r.count};
  }

 private:
  static constexpr std::size_t max_breakpoints = 32;
  struct row {
    std::array<breakpoint, max_breakpoints> points{};
    std::uint8_t count = 1;  ///< points[0] holds backend::automatic until built
  };
  std::array<row, key_count * location_count> rows_{};
  unsigned workers_;
};

}  // namespace switchyard::detail::dispatch
