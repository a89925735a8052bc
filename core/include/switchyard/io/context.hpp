// switchyard::io::context: one event loop (an io_uring ring) driven by the
// thread that calls run(). Tasks run on that thread; I/O operations complete
// there; offload() hands CPU work to the compute side and comes back there.
#pragma once

#include <switchyard/detail/export.hpp>
#include <atomic>
#include <chrono>
#include <exception>
#include <coroutine>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <utility>
#include <vector>

#include <switchyard/error.hpp>
#include <switchyard/io/detail/loop.hpp>
#include <switchyard/task.hpp>

namespace switchyard::io {

namespace detail {
struct spawn_keeper;
/// A spawned task's keeper on its way home from another context's thread,
/// linked through its own promise: the way home allocates nothing.
struct homecoming_link {
  homecoming_link* next_home = nullptr;
};
}

class SWITCHYARD_API context {
 public:
  /// A context on io_uring. Throws switchyard::error (backend_unavailable)
  /// with the reason when io_uring cannot be used here.
  context();
  /// Cancels the spawned tasks still running and waits for them, and for
  /// any operation still in flight, to finish. In a child that fork() made
  /// after the context was, whose loop is the parent's too, it touches the
  /// loop not at all (run() and spawn() there throw invalid_argument).
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  /// Runs `t` (and whatever it spawns or awaits) on this thread until it
  /// finishes; returns its value or rethrows its exception. Should the loop
  /// itself fail (out of memory in its own work), that is thrown, and `t`,
  /// which operations and queued resumptions may still point into, is left
  /// to the context: later runs drive it, and the context's destructor
  /// destroys it.
  template <class T>
  T run(task<T> t) {
    // Nobody awaits t: it stops at its final suspend point, where done()
    // turns true and its promise holds the value or the exception.
    const auto h = t.handle();
    if (!h) throw error(errc::invalid_argument, "io::context::run: the task is empty (moved from?)");
    refuse_in_a_forked_child("run");
    abandoned_.reserve(abandoned_.size() + 1);  // so that keeping t below cannot fail
    h.resume();
    try {
      loop_->run_until([h] { return h.done(); });
    } catch (...) {
      abandoned_.push_back(t.release());
      throw;
    }
    return h.promise().take();
  }

  /// Starts `t` in the background, detached; any thread may call it. It
  /// runs when the loop next runs, and its frame (and what it holds: a
  /// socket) goes as soon as it ends. When the context is destroyed, spawned
  /// tasks still running are cancelled (their operations fail with
  /// cancelled_error) and awaited. An exception that ends a spawned task
  /// goes to the spawn error handler when it ends.
  void spawn(task<void> t);
  /// Cancels the spawned tasks still running: their operations end with
  /// cancelled_error, and so do those of tasks spawned from now on. They
  /// finish on the loop's next turns. Loop thread only.
  void cancel_spawned() { spawned_stop_.request_stop(); }
  /// Where exceptions of spawned tasks go; by default, a warning to the log
  /// handler (switchyard/log.hpp).
  void on_spawn_error(std::function<void(std::exception_ptr)> handler) { spawn_error_ = std::move(handler); }

  /// Calls report(how long) when one resumption keeps the loop busy longer
  /// than threshold (asyncio's debug-mode warning). threshold 0 turns it off.
  /// The default: 100 ms, reported as a warning to the log handler.
  void detect_stalls(std::chrono::nanoseconds threshold, std::function<void(std::chrono::nanoseconds)> report);

  /// "io_uring" (or, with a fallback backend, "fallback"), and why.
  std::string_view backend_name() const noexcept { return loop_->name(); }
  std::string_view backend_reason() const noexcept { return loop_->reason(); }

  detail::loop& loop() noexcept { return *loop_; }

 private:
  /// Throws invalid_argument in a child that fork() made after this was:
  /// its loop's ring (or epoll set) is the parent's too.
  void refuse_in_a_forked_child(const char* what) const;
  static detail::spawn_keeper keep(context* self, task<void> t);
  void adopt(task<void> t);
  void adopt_incoming();
  /// A keeper whose task ended on another thread queues itself here, and
  /// the loop's thread resumes it (home_post_).
  void come_home(detail::homecoming_link& keeper) noexcept;
  void welcome_home() noexcept;
  /// To spawn_error_, which may not throw back.
  void report_spawn_failure(std::exception_ptr failed) noexcept;

  std::unique_ptr<detail::loop> loop_;
  // Each spawned task is awaited by a keeper coroutine that reports its
  // exception, counts it out and frees both frames when it ends. One stop
  // source cancels them all.
  std::size_t spawned_live_ = 0;
  std::stop_source spawned_stop_;
  /// A turn of this context's own, posted from another thread.
  struct own_post : detail::posted_call {
    context* self = nullptr;
  };
  // Tasks spawned from other threads, until the loop's thread adopts them;
  // adopt_post_ is queued on the loop while there are some.
  std::mutex incoming_m_;
  std::vector<task<void>> incoming_;
  own_post adopt_post_;
  // Keepers back from other threads, a stack; home_post_ is queued on the
  // loop while it holds some.
  std::atomic<detail::homecoming_link*> homecoming_{nullptr};
  own_post home_post_;
  std::function<void(std::exception_ptr)> spawn_error_;
  std::vector<std::coroutine_handle<>> abandoned_;  // run()'s tasks whose loop failed
  unsigned fork_generation_;  // the process's that made it (core/src/fork_generation.hpp)
};

}  // namespace switchyard::io
