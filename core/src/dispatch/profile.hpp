// The calibrated parameters of the cost model, as data: what `switchyard
// calibrate` measures, what the profile file stores, and what the built-in
// defaults hold when nothing was measured. Units: nanoseconds, and bytes per
// nanosecond (= GB/s).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernel_key.hpp"
#include "other_work.hpp"

namespace switchyard::detail::dispatch {

/// The sizes at which throughput is measured, placed by the machine's caches:
/// half of L1, half of L2 (per worker), within L3, and well beyond it.
enum class level : std::uint8_t { l1, l2, l3, dram };
inline constexpr std::size_t level_count = 4;

/// The smallest call calibration times (its fixed cost): the model's range
/// starts here.
inline constexpr std::size_t calibration_tiny_elements = 64;

/// What a profile is valid for: the hardware and the build. A profile whose
/// fingerprint differs from this process's is never trusted.
struct fingerprint {
  std::string cpu;          ///< model name, family/model/stepping
  std::string simd_target;  ///< Highway's chosen target
  unsigned cores = 0;       ///< cores this process may run on
  std::size_t l1 = 0, l2 = 0, l3 = 0;  ///< data cache sizes in bytes
  std::string gpu;          ///< the cuda backend's device, or why there is none
  std::string build;        ///< library version, digest of its sources and settings, compiler, sanitizers
  /// A short hash of all of the above, for the file name.
  std::string hash() const;
  bool operator==(const fingerprint&) const = default;
};

/// One kernel on one single-threaded backend: time(bytes) = fixed_ns + bytes / gbs,
/// with gbs capped by the bandwidth of the level the data is in.
struct kernel_rate {
  double fixed_ns = 0;
  double gbs = 1;  ///< in L1: the kernel's own speed
  bool measured = false;
};

/// A backend that spreads chunks over workers (threads, processes, cuda):
/// a fixed cost per call and the aggregate throughput at each level, per
/// data location (a std::vector costs the processes backend a staging copy;
/// host data costs cuda the bus).
struct parallel_rates {
  std::array<double, location_count> fixed_ns{};
  std::array<std::array<double, level_count>, location_count> gbs{};
  bool measured = false;
};

/// The sizes (bytes per worker for L1 and L2, in all beyond) of the
/// measurement points, from the topology.
struct level_sizes {
  std::array<double, level_count> bytes{};
};

struct profile {
  static constexpr int format_version = 1;

  dispatch::fingerprint machine;
  bool defaults = false;  ///< built-in values, nothing measured here
  bool quick = false;
  double calibration_seconds = 0;
  level_sizes points;
  unsigned workers = 1;  ///< threads and worker processes at calibration
  /// Other programs' work on this process's CPUs while it measured (up to
  /// the processes backend); cpus = 0: not known (the defaults, no /proc).
  other_work others;

  std::array<kernel_rate, key_count> serial{};
  std::array<kernel_rate, key_count> simd{};
  /// Single-thread streaming bandwidth at each level (simd, the fastest kernel).
  std::array<double, level_count> stream_gbs{};
  parallel_rates threads, processes, cuda;

  /// Caller callables (transform_reduce): per-element cost of the cheapest
  /// callable worth threading (x -> x * x over doubles), and the threads
  /// backend's fixed cost of spreading chunks.
  double callable_ns_per_element = 1;
  double callable_threads_fixed_ns = 5000;
};

/// The built-in profile: measured on one build machine, used when
/// SWITCHYARD_CALIBRATE=0, and for any entry a bounded calibration did not
/// reach. Its fingerprint is this machine's, so only `defaults` marks it.
profile default_profile(const fingerprint& here);

}  // namespace switchyard::detail::dispatch
