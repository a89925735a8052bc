// A set-up that runs once it succeeds. std::call_once promises that a run
// that throws leaves the flag for the next caller, but some implementations
// deadlock there (GCC's before 9, PR 66146; ThreadSanitizer's pthread_once
// to this day), and the library's set-ups can throw std::bad_alloc. A child
// that fork() made while another thread ran the set-up has no such thread:
// its first caller runs the set-up itself, as glibc's pthread_once does
// (fork_safe_mutex; a std::mutex copied held kept the child waiting for
// good).
#pragma once

#include <atomic>
#include <mutex>

#include "core/src/fork_safe_mutex.hpp"

namespace switchyard::detail {

class set_up_once {
 public:
  /// Runs f unless a run has returned; one caller at a time, the others
  /// wait for it. An exception from f reaches this caller, and the next
  /// one runs f again.
  template <class F>
  void run(F&& f) {
    if (done()) return;
    const std::lock_guard lock(m_);
    if (done_.load(std::memory_order_relaxed)) return;
    f();
    done_.store(true, std::memory_order_release);
  }

  bool done() const noexcept { return done_.load(std::memory_order_acquire); }

 private:
  fork_safe_mutex m_;
  std::atomic<bool> done_{false};
};

}  // namespace switchyard::detail
