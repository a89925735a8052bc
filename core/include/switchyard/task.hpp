// switchyard::task<T>: the coroutine type of the I/O layer. Lazy (it starts
// when awaited), move-only; an exception thrown in a task reaches whoever
// awaits it. A long chain of tasks that complete synchronously does not grow
// the stack: a task that finishes inside the awaiter's start of it returns
// there and the awaiter goes on without suspending; one that finishes later
// resumes its awaiter by symmetric transfer. (Symmetric transfer alone
// relies on the compiler turning it into a tail call, which GCC does not do
// under AddressSanitizer.)
//
// Each task carries a stop_token, inherited from the task that awaits it (or
// set by when_all, spawn and io::context::run): every I/O operation the task
// awaits is cancelled when that token is stopped.
#pragma once

#include <atomic>
#include <coroutine>
#include <exception>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace switchyard {

template <class T = void>
class task;

namespace detail {

struct promise_base {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr error;
  std::stop_token stop;
  /// Set by whichever comes second of "the task finished" and "its awaiter
  /// suspended"; the second one knows the other already happened.
  std::atomic<bool> rendezvous{false};

  std::suspend_always initial_suspend() const noexcept { return {}; }
  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      promise_base& p = h.promise();
      // The awaiter already suspended: resume it. Otherwise it is still in
      // its await_suspend, below us on the stack, and goes on by itself.
      return p.rendezvous.exchange(true, std::memory_order_acq_rel) ? p.continuation : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

/// The stop_token of the coroutine behind `h`, when it is a switchyard task.
template <class P>
std::stop_token stop_token_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (std::is_base_of_v<promise_base, P>) {
    return h.promise().stop;
  } else {
    return {};
  }
}

template <class T>
struct promise final : promise_base {
  std::optional<T> value;
  task<T> get_return_object() noexcept;
  template <class U>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct promise<void> final : promise_base {
  task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take() const {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::promise<T>;
  using value_type = T;

  task() noexcept = default;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (h_) h_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(h_); }

  struct awaiter {
    std::coroutine_handle<promise_type> h;
    bool await_ready() const noexcept { return !h || h.done(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> caller) noexcept {
      h.promise().continuation = caller;
      if (!h.promise().stop.stop_possible()) h.promise().stop = detail::stop_token_of(caller);
      h.resume();
      // False: the task already finished, so the caller goes on now.
      return !h.promise().rendezvous.exchange(true, std::memory_order_acq_rel);
    }
    T await_resume() { return h.promise().take(); }
  };
  /// Starts the task (if it has not run) and waits for its result.
  awaiter operator co_await() && noexcept { return awaiter{h_}; }

  /// For the I/O layer's combinators: the coroutine, still owned by the task.
  std::coroutine_handle<promise_type> handle() const noexcept { return h_; }
  /// For the I/O layer: the coroutine, no longer owned by the task (the
  /// caller destroys it).
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }

 private:
  std::coroutine_handle<promise_type> h_;
};

namespace detail {
template <class T>
task<T> promise<T>::get_return_object() noexcept {
  return task<T>{std::coroutine_handle<promise<T>>::from_promise(*this)};
}
inline task<void> promise<void>::get_return_object() noexcept {
  return task<void>{std::coroutine_handle<promise<void>>::from_promise(*this)};
}
}  // namespace detail

}  // namespace switchyard
