// io::limiter: at most N tasks past it at once ("at most K requests in
// flight"). acquire() waits for a permit; the permit frees its place when
// destroyed, and the longest waiter gets it next (first come, first served).
// A waiter whose task is cancelled leaves the queue with cancelled_error.
#pragma once

#include <coroutine>
#include <cstddef>
#include <list>
#include <utility>

#include <switchyard/io/context.hpp>
#include <switchyard/io/detail/stop_watch.hpp>
#include <switchyard/io/errors.hpp>
#include <switchyard/task.hpp>

namespace switchyard::io {

class limiter {
 public:
  limiter(context& ctx, std::size_t limit) : ctx_(&ctx), free_(limit) {}
  limiter(const limiter&) = delete;
  limiter& operator=(const limiter&) = delete;

  /// A place; given back when destroyed.
  class permit {
   public:
    permit() noexcept = default;
    explicit permit(limiter* l) noexcept : l_(l) {}
    permit(permit&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
    permit& operator=(permit&& o) noexcept {
      if (this != &o) {
        reset();
        l_ = std::exchange(o.l_, nullptr);
      }
      return *this;
    }
    ~permit() { reset(); }
    void reset() noexcept {
      if (l_) std::exchange(l_, nullptr)->release();
    }

   private:
    limiter* l_ = nullptr;
  };

 private:
  struct waiter {
    detail::ready_node wake;  // its coroutine, and how the loop queues it
    bool granted = false;
    bool cancelled = false;
  };

 public:
  class acquire_awaiter {
   public:
    explicit acquire_awaiter(limiter& l) : l_(&l) {}
    bool await_ready() noexcept {
      if (l_->free_ == 0) return false;
      --l_->free_;
      ready_ = true;
      return true;
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
      it_ = l_->queue_.insert(l_->queue_.end(), waiter{{h}});
      on_stop_.arm(l_->ctx_->loop(), switchyard::detail::stop_token_of(h), this, leave);
    }
    permit await_resume() {
      on_stop_.disarm();
      if (ready_) return permit(l_);
      const waiter w = *it_;
      l_->queue_.erase(it_);
      if (!w.granted) throw cancelled_error("limiter: cancelled while waiting");
      return permit(l_);
    }

   private:
    /// The task's stop, on the loop's thread: a waiter not given its place yet leaves.
    static void leave(void* self) noexcept {
      auto* a = static_cast<acquire_awaiter*>(self);
      waiter& w = *a->it_;
      if (w.granted || w.cancelled) return;
      w.cancelled = true;
      a->l_->ctx_->loop().schedule(w.wake);
    }
    limiter* l_;
    bool ready_ = false;
    std::list<waiter>::iterator it_;
    detail::stop_watch on_stop_;
  };

  /// co_await acquire() -> permit.
  acquire_awaiter acquire() { return acquire_awaiter(*this); }

  /// Runs t once a place is free.
  template <class T>
  task<T> run(task<T> t) {
    permit p = co_await acquire();
    co_return co_await std::move(t);
  }

  std::size_t available() const noexcept { return free_; }

 private:
  void release() {
    for (waiter& w : queue_) {
      if (w.granted || w.cancelled) continue;
      w.granted = true;  // the place passes straight to the first waiter
      ctx_->loop().schedule(w.wake);
      return;
    }
    ++free_;
  }

  context* ctx_;
  std::size_t free_;
  std::list<waiter> queue_;
};

}  // namespace switchyard::io
