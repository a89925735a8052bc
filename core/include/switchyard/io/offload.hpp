// co_await offload(ctx, fn): runs CPU-bound fn on the compute side (the
// oneTBB arena of the threads backend), then resumes the coroutine on the
// context's own thread, woken through the loop's eventfd. fn's exception
// propagates to the coroutine.
#pragma once

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
void run_on_compute(std::function<void()> job);

template <class F>
class offload_awaiter {
 public:
  using R = std::invoke_result_t<F&>;
  offload_awaiter(context& ctx, F fn) : loop_(&ctx.loop()), fn_(std::move(fn)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    run_on_compute([this, h] {
      try {
        if constexpr (std::is_void_v<R>) {
          fn_();
        } else {
          value_.emplace(fn_());
        }
      } catch (...) {
        error_ = std::current_exception();
      }
      loop_->post([h] { h.resume(); });
    });
  }
  R await_resume() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<R>) return std::move(*value_);
  }

 private:
  loop* loop_;
  F fn_;
  std::conditional_t<std::is_void_v<R>, char, std::optional<R>> value_{};
  std::exception_ptr error_;
};

}  // namespace detail

template <class F>
detail::offload_awaiter<std::decay_t<F>> offload(context& ctx, F&& fn) {
  return detail::offload_awaiter<std::decay_t<F>>(ctx, std::forward<F>(fn));
}

}  // namespace switchyard::io
