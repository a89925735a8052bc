// The awaitable of one I/O operation: start, cancel on stop, map the result.
#include <switchyard/io/errors.hpp>
#include <switchyard/io/operation.hpp>

#include <cerrno>
#include <string>
#include <system_error>

namespace switchyard::io::detail {

bool operation::suspend(std::coroutine_handle<> h, std::stop_token stop) {
  if (stop.stop_requested()) {
    cancelled_ = true;
    rec_.result = -ECANCELED;
    return false;  // not started: resume at once, and await_resume throws
  }
  rec_.waiter = h;
  loop_->start(rec_, req_);
  on_stop_.arm(*loop_, stop, this, cancel);
  return true;
}

void operation::cancel(void* self) noexcept {
  auto* op = static_cast<operation*>(self);
  op->cancelled_ = true;
  try {
    op->loop_->cancel(op->rec_);
  } catch (...) {
    // The ring could not take the cancel; the operation completes on its own.
  }
}

long operation::await_resume() {
  on_stop_.disarm();
  const long r = rec_.result;
  if (r >= 0) return r;
  if (req_.kind == op_kind::sleep && r == -ETIME) return 0;
  const std::string what(what_);
  if (r == -ECANCELED || r == -EINTR) {
    if (cancelled_) throw cancelled_error(what + ": cancelled");
    if (req_.timeout.count() > 0) throw timeout_error(what + ": timed out", 0);
  }
  throw std::system_error(static_cast<int>(-r), std::generic_category(), what);
}

}  // namespace switchyard::io::detail
