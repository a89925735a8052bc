// A set-up that runs once it succeeds. std::call_once promises that a run
// that throws leaves the flag for the next caller, but some implementations
// deadlock there (GCC's before 9, PR 66146; ThreadSanitizer's pthread_once
// to this day), and the library's set-ups can throw std::bad_alloc. A child
// that fork() made while another thread ran the set-up has no such thread:
// its first caller runs the set-up itself, as glibc's pthread_once does
// (a mutex copied held kept the child waiting for good).
#pragma once

#include <atomic>
#include <cstdint>

#include "core/src/fork_generation.hpp"

namespace switchyard::detail {

class set_up_once {
 public:
  /// Runs f unless a run has returned; one caller at a time, the others
  /// wait for it. An exception from f reaches this caller, and the next
  /// one runs f again.
  template <class F>
  void run(F&& f) {
    if (done()) return;
    take_or_wait_for_the_run();
    if (state_.load(std::memory_order_acquire) == done_state) return;
    try {
      f();
    } catch (...) {
      end_run(idle_state);
      throw;
    }
    end_run(done_state);
  }

  bool done() const noexcept { return state_.load(std::memory_order_acquire) == done_state; }

 private:
  // A 32-bit word, which std::atomic waits on with a futex alone. A run's
  // state carries the fork generation of the process running it, so that a
  // child tells its parent's run, whose thread it lacks, from one of its own.
  static constexpr std::uint32_t idle_state = 0;
  static constexpr std::uint32_t done_state = 1;
  static std::uint32_t running_here() noexcept { return (fork_generation() << 2) | 2u; }

  /// Returns once this caller runs f, or once a run has returned.
  void take_or_wait_for_the_run() noexcept {
    std::uint32_t seen = state_.load(std::memory_order_acquire);
    for (;;) {
      if (seen == done_state) return;
      const std::uint32_t mine = running_here();
      if (seen == idle_state || seen != mine) {
        // Idle, or run by a thread of a process this one was forked from.
        if (state_.compare_exchange_weak(seen, mine, std::memory_order_acquire)) return;
        continue;
      }
      state_.wait(seen, std::memory_order_acquire);
      seen = state_.load(std::memory_order_acquire);
    }
  }

  void end_run(std::uint32_t to) noexcept {
    state_.store(to, std::memory_order_release);
    state_.notify_all();
  }

  std::atomic<std::uint32_t> state_{idle_state};
};

}  // namespace switchyard::detail
