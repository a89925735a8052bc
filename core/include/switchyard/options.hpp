// The options every reduction takes: which backend, whether the result must be
// bitwise reproducible, how floating-point sums are accumulated, and how many
// threads may be used.
#pragma once

#include <cstdint>
#include <string_view>

#include <switchyard/detail/export.hpp>

namespace switchyard {

class engine;

/// Where a reduction runs. `automatic` lets switchyard choose; the others force
/// a backend and raise switchyard::error if it is not available here.
enum class backend : std::uint8_t { automatic, serial, simd, threads, processes, cuda };

/// How floating-point sums (sum, dot, sum_of_squares, norm2) accumulate.
/// - fast: one running sum per lane; error grows with n / 64.
/// - pairwise: lane sums of 16-row leaves combined in a binary tree; error
///   grows with log2(n).
/// - compensated: error about 2 ulp of the result plus n * eps^2 * sum |x|.
///   double: Neumaier summation per lane. float: each term (element or
///   product, exact in double) summed in double lanes, whose extra 29 bits
///   are the compensation: about 1 ulp plus 2^-42 * sum |x|, and cheaper.
///   (The cuda backend runs Neumaier per thread in the element type.)
enum class accuracy : std::uint8_t { fast, pairwise, compensated };

/// The default accuracy: the most accurate mode, chosen for what it costs
/// where memory is the limit (docs/PERF.md, "The default accuracy in double
/// lanes"). One mode on every machine, so that results do not depend on it.
inline constexpr accuracy default_accuracy = accuracy::compensated;

/// Options for every reduction; designated initializers read well:
/// `switchyard::sum(v, {.backend = switchyard::backend::simd})`.
struct options {
  /// Which backend runs the work.
  switchyard::backend backend = switchyard::backend::automatic;
  /// Require bitwise-identical results whatever the backend, thread count and
  /// SIMD target. The CPU backends always are (it costs them nothing
  /// measurable); the flag binds backends where it would cost (cuda).
  bool deterministic = false;
  /// Summation mode for floating-point sums; ignored for integers (exact).
  switchyard::accuracy accuracy = default_accuracy;
  /// Upper bound on worker threads (threads) or worker processes (processes);
  /// 0 means one per core.
  unsigned max_threads = 0;
  /// The engine whose threads, worker processes and GPU state run the call;
  /// nullptr: the default engine (switchyard::default_engine()).
  switchyard::engine* engine = nullptr;
};

/// "automatic", "serial", ... ; "invalid" for a value outside the enum.
SWITCHYARD_API std::string_view to_string(backend b) noexcept;
/// "fast", "pairwise", "compensated"; "invalid" for a value outside the enum.
SWITCHYARD_API std::string_view to_string(accuracy a) noexcept;

}  // namespace switchyard
