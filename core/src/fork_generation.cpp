#include "core/src/fork_generation.hpp"

#include <pthread.h>

#include <atomic>

namespace switchyard::detail {
namespace {

std::atomic<unsigned> generation{0};

void in_child() noexcept { generation.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

unsigned fork_generation() noexcept {
  // Registered before anything that asks can have started a thread.
  static const bool watching = pthread_atfork(nullptr, nullptr, &in_child) == 0;
  (void)watching;
  return generation.load(std::memory_order_relaxed);
}

}  // namespace switchyard::detail
