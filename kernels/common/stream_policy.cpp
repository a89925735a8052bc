#include "kernels/common/stream_policy.hpp"

#include <atomic>

namespace switchyard::kernels {
namespace {

stream_policy for_this_cpu() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_is("intel")) return stream_policy::lines_ahead;
#endif
  return stream_policy::page_ahead;
}

// -1: none set. Atomic because the thread pool's workers read it in their
// calls after a test has set it on its own thread.
std::atomic<int> set_by_test{-1};

}  // namespace

stream_policy stream_policy_in_use() noexcept {
  static const stream_policy cpu = for_this_cpu();
  const int set = set_by_test.load(std::memory_order_relaxed);
  return set < 0 ? cpu : static_cast<stream_policy>(set);
}

void set_stream_policy_for_test(std::optional<stream_policy> policy) noexcept {
  set_by_test.store(policy ? static_cast<int>(*policy) : -1, std::memory_order_relaxed);
}

}  // namespace switchyard::kernels
