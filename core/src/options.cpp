// Names of the option enums, for messages and reports.
#include <switchyard/options.hpp>

namespace switchyard {

std::string_view to_string(backend b) noexcept {
  switch (b) {
    case backend::automatic: return "automatic";
    case backend::serial: return "serial";
    case backend::simd: return "simd";
    case backend::threads: return "threads";
    case backend::processes: return "processes";
    case backend::cuda: return "cuda";
  }
  return "invalid";
}

std::string_view to_string(accuracy a) noexcept {
  switch (a) {
    case accuracy::fast: return "fast";
    case accuracy::pairwise: return "pairwise";
    case accuracy::compensated: return "compensated";
  }
  return "invalid";
}

}  // namespace switchyard
