#include "callback_op.hpp"

#include <exception>

namespace switchyard::http::detail {

/// The coroutine behind the waiter handle: it runs to its first suspension
/// at once, and frees its frame when it returns.
struct callback_op::driver {
  struct promise_type {
    driver get_return_object() noexcept { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept {}  // drive() catches what a callback throws
  };
  std::coroutine_handle<promise_type> h;
};

callback_op::driver callback_op::drive(callback_op* self) {
  for (;;) {
    co_await std::suspend_always{};
    self->in_flight_ = false;
    if (self->released_) {
      delete self;
      co_return;
    }
    try {
      self->cb_(self->owner_, *self, self->rec_.result);
    } catch (...) {
      // What a callback could not handle itself: the coroutine must live on.
    }
  }
}

callback_op* callback_op::make(io::detail::loop& l, callback cb, void* owner) {
  auto* op = new callback_op(l, cb, owner);
  op->h_ = drive(op).h;
  return op;
}

void callback_op::start(const io::detail::op_request& r) {
  req_ = r;
  rec_ = {};
  rec_.waiter = h_;
  in_flight_ = true;
  try {
    loop_->start(rec_, req_);
  } catch (...) {
    in_flight_ = false;
    throw;
  }
}

void callback_op::complete_soon(long result) noexcept {
  rec_ = {};
  rec_.waiter = h_;
  rec_.result = result;
  in_flight_ = true;
  loop_->schedule(rec_);
}

void callback_op::cancel() {
  if (in_flight_) loop_->cancel(rec_);
}

void callback_op::release() {
  released_ = true;
  if (in_flight_) {
    try {
      cancel();  // its completion frees it
    } catch (...) {
      // No room to ask: the operation ends on its own (a poll when curl has
      // closed its socket, a sleep when due) and its completion frees it.
    }
    return;
  }
  h_.destroy();
  delete this;
}

}  // namespace switchyard::http::detail
