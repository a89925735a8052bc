// What a GPU backend says about its devices, for the capability report
// (`switchyard caps`): each device's facts, and transfers and a launch
// measured on it. The caps report reads it through the engine's cuda
// backend, so a report needs no CUDA of its own.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "compute_backend.hpp"

namespace switchyard::detail {

struct gpu_device {
  int index = 0;
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  int multiprocessors = 0;
  std::size_t memory_bytes = 0;
  int sm_clock_mhz = 0;      ///< 0: not reported
  int memory_clock_mhz = 0;  ///< 0: not reported
  int memory_bus_bits = 0;
  /// The device reads pageable host memory through the host's page tables
  /// (as on GH200), so host data need not be staged.
  bool pageable_memory_access = false;
};

struct gpu_facts {
  int driver_version = 0;   ///< CUDA's encoding: 1000 * major + 10 * minor
  int runtime_version = 0;
  std::vector<gpu_device> devices;
};

/// One quantity measured on a device, as caps::measurement has it.
struct gpu_measurement {
  std::string name;  ///< stable key, without the device ("device_copy")
  double value = 0;
  std::string unit;  ///< "GB/s" or "us"
  bool higher_is_better = true;
  std::string method;
  double low = 0;  ///< the repetitions' spread (range of a best-of, quartiles of a median)
  double high = 0;
};

class gpu_report {
 public:
  virtual status describe(gpu_facts& out) noexcept = 0;
  /// Measures device `device`; quick: smaller transfers, fewer repetitions.
  virtual status measure(int device, bool quick, std::vector<gpu_measurement>& out) noexcept = 0;

 protected:
  ~gpu_report() = default;
};

}  // namespace switchyard::detail
