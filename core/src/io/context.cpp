// io::context: the loop it owns, spawned tasks, the stall detector.
#include <switchyard/config.h>
#include <switchyard/error.hpp>
#include <switchyard/io/context.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "backends/io_fallback/fallback_loop.hpp"
#if SWITCHYARD_HAS_IO_URING
#include "backends/io_uring/uring_loop.hpp"
#endif
#include "core/src/fork_generation.hpp"
#include "log_sink.hpp"

namespace switchyard::io {
namespace {

void report_spawn_error(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    switchyard::detail::log_line(log_level::warning, std::string("a spawned task ended with an exception: ") + x.what());
  } catch (...) {
    switchyard::detail::log_line(log_level::warning, "a spawned task ended with an exception");
  }
}

void report_stall(std::chrono::nanoseconds busy) {
  char text[96];
  std::snprintf(text, sizeof text, "one resumption kept the I/O loop busy for %.1f ms",
                static_cast<double>(busy.count()) / 1e6);
  switchyard::detail::log_line(log_level::warning, text);
}

}  // namespace

/// The coroutine that awaits a spawned task (which nobody else awaits) and,
/// never suspending at its end, frees its own frame and the task's.
struct detail::spawn_keeper {
  struct promise_type : switchyard::detail::promise_base, homecoming_link {
    spawn_keeper get_return_object() noexcept { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
  };
  std::coroutine_handle<promise_type> h;
};

detail::spawn_keeper context::keep(context* self, task<void> t) {
  std::exception_ptr failed;
  try {
    co_await std::move(t);
  } catch (...) {
    failed = std::current_exception();
  }
  // A task that hopped to another context (io::runtime) may end there:
  // this context's state is touched on its own thread only. The way home
  // is linked through the keeper's promise, 8 bytes, which keep the frame
  // within glibc's fast bins (120 bytes): a node of 32 made 100,000 tasks
  // spawned at once 1.4x slower (docs/PERF.md, "A spawned task's way home").
  struct back_home {
    context* self;
    bool await_ready() const noexcept { return self->loop_->on_loop_thread(); }
    void await_suspend(std::coroutine_handle<detail::spawn_keeper::promise_type> h) const noexcept {
      self->come_home(h.promise());
    }
    void await_resume() const noexcept {}
  };
  co_await back_home{self};
  if (failed) self->report_spawn_failure(failed);
  --self->spawned_live_;
}

void context::report_spawn_failure(std::exception_ptr failed) noexcept {
  if (!spawn_error_) return;
  try {
    spawn_error_(failed);
  } catch (...) {
    // A handler that throws has nowhere to throw to.
  }
}

context::context() : spawn_error_(report_spawn_error), fork_generation_(switchyard::detail::fork_generation()) {
  adopt_post_.self = this;
  adopt_post_.act = [](detail::posted_call& c, detail::posted_call::action a) {
    if (a == detail::posted_call::action::run) static_cast<own_post&>(c).self->adopt_incoming();
  };
  home_post_.self = this;
  home_post_.act = [](detail::posted_call& c, detail::posted_call::action a) {
    if (a == detail::posted_call::action::run) static_cast<own_post&>(c).self->welcome_home();
  };
  const char* env = std::getenv("SWITCHYARD_IO_BACKEND");
  const std::string forced = env ? env : "";
  if (!forced.empty() && forced != "uring" && forced != "fallback") {
    throw error(errc::invalid_argument,
                "SWITCHYARD_IO_BACKEND is '" + forced + "'; use uring, fallback, or leave it unset");
  }
  if (forced == "fallback") {
    loop_ = backends::io_fallback::make_loop("SWITCHYARD_IO_BACKEND=fallback asked for it");
  } else {
    std::string why_not = "this build of switchyard has no io_uring loop (liburing was not found)";
#if SWITCHYARD_HAS_IO_URING
    loop_ = backends::io_uring::make_loop(why_not);
#endif
    if (!loop_ && forced == "uring") {
      throw error(errc::backend_unavailable, "io::context: SWITCHYARD_IO_BACKEND=uring, but " + why_not);
    }
    if (!loop_) loop_ = backends::io_fallback::make_loop(why_not + "; using epoll and a thread pool instead");
  }
  loop_->on_stall = report_stall;
}

context::~context() {
  if (switchyard::detail::fork_generation() != fork_generation_) {
    // A child's copy: the ring (or epoll set) and its requests in flight are
    // the parent's too. Cancelling the spawned tasks would submit to it and
    // draining would reap the parent's completions (the parent's context then
    // waited for good), so the loop is left as it is until the child ends.
    (void)loop_.release();
    return;
  }
  spawned_stop_.request_stop();
  try {
    loop_->run_until([&] {
      {
        std::lock_guard lock(incoming_m_);
        if (!incoming_.empty()) return false;  // posted, adopted on the next turn
      }
      if (spawned_live_ > 0) return false;
      // Operations with no task left to wait for them, cancelled by their
      // owner (an http::client's polls of curl's sockets), end here before
      // the loop goes.
      return loop_->in_flight() == 0;
    });
  } catch (...) {
    // A loop that fails while draining cannot be driven further.
  }
  for (const std::coroutine_handle<> h : abandoned_) h.destroy();
}

void context::refuse_in_a_forked_child(const char* what) const {
  if (switchyard::detail::fork_generation() == fork_generation_) [[likely]] return;
  throw error(errc::invalid_argument, std::string("io::context::") + what +
                                          ": this process is a child that fork() made after the context was; its loop "
                                          "(io_uring's ring, or the fallback's epoll set) is the parent's too: make a "
                                          "context in this process");
}

void context::spawn(task<void> t) {
  if (!t.valid()) throw error(errc::invalid_argument, "io::context::spawn: the task is empty (moved from?)");
  refuse_in_a_forked_child("spawn");
  if (loop_->on_loop_thread()) return adopt(std::move(t));
  // Another thread: only the loop's thread touches the spawned tasks, so the
  // task waits here until a posted turn of the loop adopts it.
  // The first task of a batch queues the one adopting post; a post cannot
  // fail, so no task waits here for a turn that never comes.
  std::lock_guard lock(incoming_m_);
  incoming_.push_back(std::move(t));
  if (incoming_.size() == 1) loop_->post(adopt_post_);
}

void context::adopt(task<void> t) {
  const detail::spawn_keeper k = keep(this, std::move(t));
  k.h.promise().stop = spawned_stop_.get_token();  // the task inherits it when awaited
  try {
    loop_->schedule(k.h);  // it starts on the loop's next turn, not inside the caller
  } catch (...) {
    // Counted only once it will run: a keeper counted and never run kept
    // the context's destructor waiting for good.
    k.h.destroy();  // not started: frees the keeper and the task it holds
    throw;
  }
  ++spawned_live_;
}

void context::adopt_incoming() {
  std::vector<task<void>> arrived;
  {
    std::lock_guard lock(incoming_m_);
    arrived.swap(incoming_);
  }
  for (task<void>& t : arrived) {
    try {
      adopt(std::move(t));
    } catch (...) {
      // Its spawn() returned on another thread long ago: a task that cannot
      // start (out of memory) is reported as its failure would have been,
      // and the rest start.
      report_spawn_failure(std::current_exception());
    }
  }
}

void context::come_home(detail::homecoming_link& keeper) noexcept {
  detail::homecoming_link* head = homecoming_.load(std::memory_order_relaxed);
  // Acquire too: the first on an empty stack posts home_post_ again, which
  // must come after the loop's last run of it is done with the node (the
  // release of welcome_home's exchange).
  do {
    keeper.next_home = head;
  } while (!homecoming_.compare_exchange_weak(head, &keeper, std::memory_order_acq_rel, std::memory_order_relaxed));
  // The first on an empty stack queues the turn that empties it; the node
  // is out of the loop's queue by then, as welcome_home() runs from it.
  if (!head) loop_->post(home_post_);
}

void context::welcome_home() noexcept {
  detail::homecoming_link* k = homecoming_.exchange(nullptr, std::memory_order_acq_rel);
  while (k) {
    detail::homecoming_link* const next = k->next_home;  // first: resumed, the keeper frees its frame
    std::coroutine_handle<detail::spawn_keeper::promise_type>::from_promise(
        static_cast<detail::spawn_keeper::promise_type&>(*k))
        .resume();
    k = next;
  }
}

void context::detect_stalls(std::chrono::nanoseconds threshold, std::function<void(std::chrono::nanoseconds)> report) {
  loop_->stall_threshold = threshold;
  loop_->on_stall = std::move(report);
}

}  // namespace switchyard::io
