// co_await offload(ctx, fn): runs CPU-bound fn on the compute side (the
// oneTBB arena of the threads backend), then resumes the coroutine on the
// context's own thread, woken through the loop's eventfd. fn's exception
// propagates to the coroutine.
#pragma once

#include <switchyard/detail/export.hpp>
#include <atomic>
#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include <switchyard/io/context.hpp>

namespace switchyard::io {

namespace detail {

/// Runs job on the compute side's thread arena.
SWITCHYARD_API void run_on_compute(std::function<void()> job);

template <class F>
class offload_awaiter {
 public:
  using R = std::invoke_result_t<F&>;
  offload_awaiter(context& ctx, F fn) : loop_(&ctx.loop()), fn_(std::move(fn)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    // The hand-off to the compute thread as a C++ release/acquire pair:
    // oneTBB's own is inside libtbb, which ThreadSanitizer does not see.
    handed_over_.store(true, std::memory_order_release);
    run_on_compute([this, h] {
      (void)handed_over_.load(std::memory_order_acquire);
      try {
        if constexpr (std::is_void_v<R>) {
          fn_();
        } else {
          value_.emplace(fn_());
        }
      } catch (...) {
        error_ = std::current_exception();
      }
      // A post that cannot fail: this thread has no one to report to.
      back_.waiter = h;
      loop_->post(back_);
    });
  }
  R await_resume() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<R>) return std::move(*value_);
  }

 private:
  loop* loop_;
  std::atomic<bool> handed_over_{false};
  F fn_;
  std::conditional_t<std::is_void_v<R>, char, std::optional<R>> value_{};
  std::exception_ptr error_;
  posted_resume back_;
};

}  // namespace detail

template <class F>
detail::offload_awaiter<std::decay_t<F>> offload(context& ctx, F&& fn) {
  return detail::offload_awaiter<std::decay_t<F>>(ctx, std::forward<F>(fn));
}

}  // namespace switchyard::io
