// switchyard's error category: names for switchyard::errc values.
#include <switchyard/error.hpp>

#include <string>

namespace switchyard {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "switchyard"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::invalid_argument: return "invalid argument";
      case errc::length_mismatch: return "inputs of different lengths";
      case errc::backend_unavailable: return "backend not available";
      case errc::unsupported_operation: return "operation not supported by this backend";
      case errc::resource_exhausted: return "system resources exhausted";
      case errc::worker_failed: return "a worker process died";
      case errc::device_failed: return "a GPU call failed";
      case errc::timed_out: return "other processes did not answer in time";
      case errc::communication_failed: return "an MPI call failed";
    }
    return "unknown switchyard error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace switchyard
