// How a wait on an I/O loop ends early when its task's stop_token is
// stopped, from whichever thread asks.
#pragma once

#include <switchyard/detail/export.hpp>
#include <switchyard/io/detail/loop.hpp>

#include <atomic>
#include <optional>
#include <stop_token>

namespace switchyard::io::detail {

/// Ends a wait early when its stop_token is stopped. A stop may be asked
/// for on any thread, but a wait's state belongs to its loop, so the ending
/// runs on the loop's thread: at once where the stop is asked for there,
/// else through a node this watch keeps, posted from the asking thread. The
/// node lives in the waiter's frame: posting it allocates nothing and so is
/// never lost to a full heap, and disarm() withdraws it, so it never runs
/// for a waiter that has moved on (nor for another that took its place).
class SWITCHYARD_API stop_watch : posted_call {
 public:
  /// What ends the wait, run on the loop's thread with the waiter given to arm().
  using ending = void (*)(void* waiter) noexcept;

  stop_watch() noexcept = default;
  stop_watch(const stop_watch&) = delete;
  stop_watch& operator=(const stop_watch&) = delete;
  ~stop_watch() { disarm(); }

  /// Watches `stop` for a waiter suspended on `l`; where it is stopped
  /// already, end(waiter) runs before this returns.
  void arm(loop& l, const std::stop_token& stop, void* waiter, ending end) noexcept;
  /// Stops watching: from here on end() neither runs nor waits in the
  /// loop's queue. Loop thread only; the waiter's await_resume calls it.
  void disarm() noexcept;

 private:
  struct fire {
    stop_watch* watch;
    void operator()() const noexcept;
  };
  static void on_loop(posted_call& c, action a) noexcept;

  loop* loop_ = nullptr;
  void* waiter_ = nullptr;
  ending end_ = nullptr;
  std::atomic<bool> posted_{false};  ///< the node is queued, or running
  std::optional<std::stop_callback<fire>> callback_;
};

}  // namespace switchyard::io::detail
