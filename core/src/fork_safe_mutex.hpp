// A mutex that a fork cannot leave held. fork() copies only the calling
// thread: a std::mutex another thread held then stays locked in the child
// for good, and the child's first use of what it guards never returns.
// This one's word carries the fork generation of the process whose thread
// holds it, so a child's first locker takes over a hold that its parent's
// thread left, as glibc's pthread_once does with a run in progress. For
// locks held over a set-up or a caller's code (a log handler), where
// lock_across_fork would make every fork wait for that code, and code that
// forks under it (a handler calling system()) wait for itself.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/src/fork_generation.hpp"

namespace switchyard::detail {

class fork_safe_mutex {
 public:
  void lock() noexcept {
    const std::uint32_t mine = held_here();
    std::uint32_t seen = word_.load(std::memory_order_relaxed);
    for (;;) {
      if (seen != mine) {
        // Free, or held by a thread of a process this one was forked from.
        if (word_.compare_exchange_weak(seen, mine, std::memory_order_acquire, std::memory_order_relaxed)) return;
        continue;
      }
      word_.wait(seen, std::memory_order_relaxed);
      seen = word_.load(std::memory_order_relaxed);
    }
  }
  bool try_lock() noexcept {
    const std::uint32_t mine = held_here();
    std::uint32_t seen = word_.load(std::memory_order_relaxed);
    while (seen != mine) {
      if (word_.compare_exchange_weak(seen, mine, std::memory_order_acquire, std::memory_order_relaxed)) return true;
    }
    return false;
  }
  void unlock() noexcept {
    word_.store(free_word, std::memory_order_release);
    word_.notify_one();
  }

 private:
  // 32 bits, which std::atomic waits on with a futex alone.
  static constexpr std::uint32_t free_word = 0;
  static std::uint32_t held_here() noexcept { return (fork_generation() << 1) | 1u; }

  std::atomic<std::uint32_t> word_{free_word};
};

}  // namespace switchyard::detail
