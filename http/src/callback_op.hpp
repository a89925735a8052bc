// An operation on an io::context's loop whose completion calls a function,
// not a task: curl asks for "tell me when this socket is readable" and "call
// me in 20 ms" from inside its callbacks, with no coroutine to suspend.
//
// The loop resumes an operation's waiter handle; here that handle is a small
// coroutine that calls the function each time it is resumed. It frees itself
// when released: at once when idle, else once the cancelled operation has
// ended (the loop may still write its record until then).
#pragma once

#include <coroutine>

#include <switchyard/io/detail/loop.hpp>

namespace switchyard::http::detail {

class callback_op {
 public:
  /// Called on the loop's thread with the operation's raw result (>= 0, or
  /// -errno: -ECANCELED when cancel() ended it, -ETIME for a sleep's end).
  using callback = void (*)(void* owner, callback_op& op, long result);

  static callback_op* make(io::detail::loop& l, callback cb, void* owner);

  /// Starts r; the operation must not be in flight.
  void start(const io::detail::op_request& r);
  /// Ends an operation that could not start (no memory for it) with
  /// `result` on the loop's next turn, as its completion would. Allocates
  /// nothing; the operation must not be in flight.
  void complete_soon(long result) noexcept;
  /// Asks an operation in flight to end early; its callback still comes.
  void cancel();
  bool in_flight() const noexcept { return in_flight_; }
  /// The owner is done with it. Never from inside its own callback.
  void release();

  int fd = -1;      ///< the owner's notes
  short wanted = 0;

 private:
  callback_op(io::detail::loop& l, callback cb, void* owner) : loop_(&l), cb_(cb), owner_(owner) {}
  struct driver;
  static driver drive(callback_op* self);

  io::detail::loop* loop_;
  callback cb_;
  void* owner_;
  io::detail::op_request req_{};  // the loop may submit it again
  io::detail::op_record rec_;
  std::coroutine_handle<> h_;
  bool in_flight_ = false;
  bool released_ = false;
};

}  // namespace switchyard::http::detail
