// The cost model turned into crossover sizes: for every kernel key and data
// location, the sizes at which the cheapest backend changes. A decision is
// then a scan of a handful of breakpoints: no lock, no allocation, no
// floating point. Each row is built at its first query (once, under its
// own set_up_once, which a fork cannot leave held), since building all of
// them (every key, every location) took a program's first automatic call
// 9-14 ms on a 2-core guest, and grows with the cores.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/src/set_up_once.hpp"
#include "cost_model.hpp"

namespace switchyard::detail::dispatch {

class decision_table {
 public:
  /// Rows for `candidates` (simplest first) at `workers` threads, for calls
  /// whose bits may come from any candidate (deterministic = false). `p`
  /// must outlive the table: a row is built from it when first asked for.
  decision_table(const profile& p, std::span<const backend> candidates, unsigned workers);
  decision_table(const decision_table&) = delete;
  decision_table& operator=(const decision_table&) = delete;

  /// The model's choice; backend::automatic when no candidate reads `where`.
  backend pick(kernel_key k, memory where, std::size_t n) const noexcept {
    const row& r = built_row(k, where);
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
    const row& r = built_row(k, where);
    return {r.points.data(), r.count};
  }

 private:
  static constexpr std::size_t max_breakpoints = 32;
  struct row {
    std::array<breakpoint, max_breakpoints> points{};
    std::uint8_t count = 1;
    set_up_once built;
  };

  const row& built_row(kernel_key k, memory where) const noexcept {
    row& r = rows_[index_of(k) * location_count + static_cast<std::size_t>(where)];
    r.built.run([&]() noexcept { build(r, k, where); });  // once built, one acquire load
    return r;
  }
  /// Fills r, row (k, where), from the model; allocates nothing.
  void build(row& r, kernel_key k, memory where) const noexcept;

  const profile& p_;
  std::vector<backend> candidates_;
  std::vector<std::uint64_t> sizes_;  ///< where the model is sampled, ascending
  unsigned workers_;
  mutable std::array<row, key_count * location_count> rows_{};
};

}  // namespace switchyard::detail::dispatch
