#include "kernels/common/cpu_tuning.hpp"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace switchyard::kernels {
namespace {

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
        return {.stream = stream_policy::page_ahead_for_pairs, .fast_streams_on_avx2 = true, .widening_on_avx2 = true};
      }
      return {};
    case cpu_identity::maker::other: break;
  }
  return {};
}

std::string_view to_string(stream_policy p) noexcept {
  switch (p) {
    case stream_policy::page_ahead: return "page_ahead";
    case stream_policy::lines_ahead: return "lines_ahead";
    case stream_policy::page_ahead_for_pairs: return "page_ahead_for_pairs";
  }
  return "invalid";
}

std::string to_string(const cpu_tuning& t) {
  std::string out = "stream=" + std::string(to_string(t.stream));
  if (t.stream == stream_policy::lines_ahead) {
    out += " lines_ahead=" + (t.lines_ahead_bytes % 1024 == 0 ? std::to_string(t.lines_ahead_bytes / 1024) + "KiB"
                                                               : std::to_string(t.lines_ahead_bytes) + "B");
  }
  out += t.adds == add_form::fused ? " adds=fused" : " adds=plain";
  out += t.fast_streams_on_avx2 ? " fast_streams_on_avx2=on" : " fast_streams_on_avx2=off";
  out += t.widening_on_avx2 ? " widening_on_avx2=on" : " widening_on_avx2=off";
  return out;
}

namespace tuning_word {

std::atomic<std::uint64_t> in_use{0};

std::uint64_t first() noexcept {
  std::uint64_t expected = 0;
  const std::uint64_t own = packed(cpu_tuning_for(this_cpu()));
  return in_use.compare_exchange_strong(expected, own, std::memory_order_relaxed) ? own : expected;
}

}  // namespace tuning_word

void set_cpu_tuning_for_test(std::optional<cpu_tuning> tuning) noexcept {
  tuning_word::in_use.store(tuning_word::packed(tuning ? *tuning : cpu_tuning_for(this_cpu())),
                            std::memory_order_relaxed);
}

}  // namespace switchyard::kernels
