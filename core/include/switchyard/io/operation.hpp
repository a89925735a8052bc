// The awaitable behind every I/O operation: it starts the request on the
// context's loop when its coroutine suspends, resumes it on completion, and
// cancels the request when the awaiting task's stop_token is stopped.
#pragma once

#include <switchyard/detail/export.hpp>
#include <coroutine>
#include <stop_token>
#include <string_view>

#include <switchyard/io/detail/loop.hpp>
#include <switchyard/io/detail/stop_watch.hpp>
#include <switchyard/task.hpp>

namespace switchyard::io::detail {

class SWITCHYARD_API operation {
 public:
  operation(loop& l, const op_request& r, std::string_view what) noexcept : loop_(&l), req_(r), what_(what) {}
  operation(operation&&) = delete;

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return suspend(h, switchyard::detail::stop_token_of(h));
  }
  /// The result (>= 0). Throws cancelled_error, timeout_error (with 0 bytes)
  /// or std::system_error naming the operation.
  long await_resume();
  /// The raw result: >= 0, or -errno.
  long raw() const noexcept { return rec_.result; }

 private:
  bool suspend(std::coroutine_handle<> h, std::stop_token stop);
  static void cancel(void* self) noexcept;

  loop* loop_;
  op_request req_;
  std::string_view what_;
  op_record rec_;
  bool cancelled_ = false;  ///< a stop asked for its end
  stop_watch on_stop_;
};

}  // namespace switchyard::io::detail
