#include "kernels/common/cpu_tuning.hpp"

#include <atomic>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace switchyard::kernels {
namespace {

// A test's tuning packed into one word, 0 for none: atomic because the
// thread pool's workers read it in their calls after a test has set it on
// its own thread, and a word because every chunk's kernel reads it.
std::atomic<std::uint64_t> set_by_test{0};

std::uint64_t packed(const cpu_tuning& t) noexcept {
  return 1 | static_cast<std::uint64_t>(t.stream) << 1 | static_cast<std::uint64_t>(t.adds) << 3 |
         static_cast<std::uint64_t>(t.fast_streams_on_avx2) << 4 |
         static_cast<std::uint64_t>(t.lines_ahead_bytes) << 32;
}

cpu_tuning unpacked(std::uint64_t word) noexcept {
  return {.stream = static_cast<stream_policy>(word >> 1 & 3),
          .lines_ahead_bytes = static_cast<std::size_t>(word >> 32),
          .adds = static_cast<add_form>(word >> 3 & 1),
          .fast_streams_on_avx2 = (word >> 4 & 1) != 0};
}

/// Family 25 holds Zen 3 and Zen 4; AMD numbers Zen 4's models 0x10-0x1f
/// (Genoa), 0x60-0x7f (Raphael, Phoenix) and 0xa0-0xaf (Bergamo, Siena).
bool is_zen4_model(unsigned model) noexcept {
  return (model >= 0x10 && model <= 0x1f) || (model >= 0x60 && model <= 0x7f) || (model >= 0xa0 && model <= 0xaf);
}

}  // namespace

cpu_identity this_cpu() noexcept {
  cpu_identity cpu;
#if defined(__x86_64__) || defined(__i386__)
  unsigned max_leaf = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0, &max_leaf, &ebx, &ecx, &edx) == 0 || max_leaf < 1) return cpu;
  char vendor[13] = {};
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  cpu.vendor = std::strcmp(vendor, "GenuineIntel") == 0   ? cpu_identity::maker::intel
               : std::strcmp(vendor, "AuthenticAMD") == 0 ? cpu_identity::maker::amd
                                                          : cpu_identity::maker::other;
  unsigned eax = 0;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  const unsigned base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
  cpu.family = base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family;
  cpu.model = base_family == 0x6 || base_family == 0xf ? base_model + (((eax >> 16) & 0xf) << 4) : base_model;
#endif
  return cpu;
}

cpu_tuning cpu_tuning_for(const cpu_identity& cpu) noexcept {
  switch (cpu.vendor) {
    case cpu_identity::maker::intel: return {.stream = stream_policy::lines_ahead};
    case cpu_identity::maker::amd:
      if (cpu.family == 23 && cpu.model < 48) {  // Zen 1 and Zen+
        return {.stream = stream_policy::lines_ahead, .lines_ahead_bytes = 1024, .adds = add_form::plain};
      }
      if (cpu.family == 25 && is_zen4_model(cpu.model)) {
        return {.stream = stream_policy::page_ahead_for_pairs, .fast_streams_on_avx2 = true};
      }
      return {};
    case cpu_identity::maker::other: break;
  }
  return {};
}

cpu_tuning cpu_tuning_in_use() noexcept {
  static const cpu_tuning cpu = cpu_tuning_for(this_cpu());
  const std::uint64_t set = set_by_test.load(std::memory_order_relaxed);
  return set == 0 ? cpu : unpacked(set);
}

void set_cpu_tuning_for_test(std::optional<cpu_tuning> tuning) noexcept {
  set_by_test.store(tuning ? packed(*tuning) : 0, std::memory_order_relaxed);
}

}  // namespace switchyard::kernels
