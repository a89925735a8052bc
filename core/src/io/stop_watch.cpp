// A stop request's way to the loop's thread: at once, or through a node
// posted in the waiter's frame and withdrawn when the waiter moves on.
#include <switchyard/io/detail/stop_watch.hpp>

namespace switchyard::io::detail {

void stop_watch::arm(loop& l, const std::stop_token& stop, void* waiter, ending end) noexcept {
  if (!stop.stop_possible()) return;
  loop_ = &l;
  waiter_ = waiter;
  end_ = end;
  act = on_loop;
  callback_.emplace(stop, fire{this});
}

void stop_watch::fire::operator()() const noexcept {
  if (watch->loop_->on_loop_thread()) return watch->end_(watch->waiter_);
  watch->posted_.store(true, std::memory_order_release);
  watch->loop_->post(*watch);
}

void stop_watch::on_loop(posted_call& c, action a) noexcept {
  auto& watch = static_cast<stop_watch&>(c);
  if (a == action::drop) return;  // the waiter's frame owns the node
  watch.posted_.store(false, std::memory_order_relaxed);
  // Last: ending the wait may resume the waiter, and its frame holds this.
  watch.end_(watch.waiter_);
}

void stop_watch::disarm() noexcept {
  // Waits for a callback running on another thread, so that a post it
  // makes is seen here, not after.
  callback_.reset();
  if (posted_.exchange(false, std::memory_order_acquire)) loop_->withdraw(*this);
}

}  // namespace switchyard::io::detail
