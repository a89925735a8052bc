#include "kernels/common/stream_policy.hpp"

#include <atomic>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace switchyard::kernels {
namespace {

// -1: none set. Atomic because the thread pool's workers read it in their
// calls after a test has set it on its own thread.
std::atomic<int> set_by_test{-1};

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

stream_policy stream_policy_for(const cpu_identity& cpu) noexcept {
  switch (cpu.vendor) {
    case cpu_identity::maker::intel: return stream_policy::lines_ahead;
    case cpu_identity::maker::amd:
      return cpu.family == 23 && cpu.model < 48 ? stream_policy::lines_ahead : stream_policy::page_ahead;
    case cpu_identity::maker::other: break;
  }
  return stream_policy::page_ahead;
}

stream_policy stream_policy_in_use() noexcept {
  static const stream_policy cpu = stream_policy_for(this_cpu());
  const int set = set_by_test.load(std::memory_order_relaxed);
  return set < 0 ? cpu : static_cast<stream_policy>(set);
}

void set_stream_policy_for_test(std::optional<stream_policy> policy) noexcept {
  set_by_test.store(policy ? static_cast<int>(*policy) : -1, std::memory_order_relaxed);
}

}  // namespace switchyard::kernels
