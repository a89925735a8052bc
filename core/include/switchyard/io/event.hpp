// io::event: a flag tasks wait for (asyncio.Event). wait() completes at once
// when the flag is set, else when set() is called; set() wakes every waiter.
// A waiter whose task is cancelled leaves with cancelled_error. One context,
// its loop's thread only.
#pragma once

#include <coroutine>
#include <list>

#include <switchyard/io/context.hpp>
#include <switchyard/io/detail/stop_watch.hpp>
#include <switchyard/io/errors.hpp>
#include <switchyard/task.hpp>

namespace switchyard::io {

class event {
 public:
  explicit event(context& ctx) : ctx_(&ctx) {}
  event(const event&) = delete;
  event& operator=(const event&) = delete;

  /// Sets the flag and wakes every waiter (on the loop's next turn).
  void set() {
    if (set_) return;
    set_ = true;
    for (waiter& w : waiters_) {
      if (w.woken) continue;
      w.woken = true;
      ctx_->loop().schedule(w.wake);
    }
  }
  bool is_set() const noexcept { return set_; }

 private:
  struct waiter {
    detail::ready_node wake;  // its coroutine, and how the loop queues it
    bool woken = false;     // by set() or by the stop token
    bool cancelled = false;
  };

 public:
  class wait_awaiter {
   public:
    explicit wait_awaiter(event& e) : e_(&e) {}
    bool await_ready() const noexcept { return e_->set_; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
      it_ = e_->waiters_.insert(e_->waiters_.end(), waiter{{h}});
      suspended_ = true;
      on_stop_.arm(e_->ctx_->loop(), switchyard::detail::stop_token_of(h), this, leave);
    }
    void await_resume() {
      on_stop_.disarm();
      if (!suspended_) return;
      const waiter w = *it_;
      e_->waiters_.erase(it_);
      if (w.cancelled) throw cancelled_error("event: cancelled while waiting");
    }

   private:
    /// The task's stop, on the loop's thread: a waiter not woken yet leaves.
    static void leave(void* self) noexcept {
      auto* a = static_cast<wait_awaiter*>(self);
      waiter& w = *a->it_;
      if (w.woken) return;
      w.woken = w.cancelled = true;
      a->e_->ctx_->loop().schedule(w.wake);
    }
    event* e_;
    bool suspended_ = false;
    std::list<waiter>::iterator it_;
    detail::stop_watch on_stop_;
  };

  /// co_await wait(): returns once the flag is set.
  wait_awaiter wait() { return wait_awaiter(*this); }

 private:
  context* ctx_;
  bool set_ = false;
  std::list<waiter> waiters_;
};

}  // namespace switchyard::io
