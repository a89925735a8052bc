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

context::context() : spawn_error_(report_spawn_error) {
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
  spawned_stop_.request_stop();
  try {
    loop_->run_until([&] {
      {
        std::lock_guard lock(incoming_m_);
        if (!incoming_.empty()) return false;  // posted, adopted on the next turn
      }
      for (const task<void>& t : spawned_) {
        if (!t.handle().done()) return false;
      }
      // Operations with no task left to wait for them, cancelled by their
      // owner (an http::client's polls of curl's sockets), end here before
      // the loop goes.
      return loop_->in_flight() == 0;
    });
  } catch (...) {
    // A loop that fails while draining cannot be driven further.
  }
  sweep();
}

void context::spawn(task<void> t) {
  if (!t.valid()) throw error(errc::invalid_argument, "io::context::spawn: the task is empty (moved from?)");
  if (loop_->on_loop_thread()) return adopt(std::move(t));
  // Another thread: only the loop's thread touches the spawned tasks, so the
  // task waits here until a posted turn of the loop adopts it.
  {
    std::lock_guard lock(incoming_m_);
    incoming_.push_back(std::move(t));
  }
  loop_->post([this] { adopt_incoming(); });
}

void context::adopt(task<void> t) {
  // Sweeping walks the list: do it when the list has doubled since the last
  // sweep, so that a spawn costs O(1) amortized.
  if (spawned_.size() >= 2 * swept_size_ + 16) sweep();
  const std::coroutine_handle<> h = t.handle();
  t.handle().promise().stop = spawned_stop_.get_token();
  spawned_.push_back(std::move(t));
  loop_->schedule(h);  // it starts on the loop's next turn, not inside the caller
}

void context::adopt_incoming() {
  std::vector<task<void>> arrived;
  {
    std::lock_guard lock(incoming_m_);
    arrived.swap(incoming_);
  }
  for (task<void>& t : arrived) adopt(std::move(t));
}

void context::sweep() {
  std::size_t kept = 0;
  for (task<void>& t : spawned_) {
    if (!t.handle().done()) {
      spawned_[kept++] = std::move(t);
      continue;
    }
    if (t.handle().promise().error && spawn_error_) spawn_error_(t.handle().promise().error);
  }
  spawned_.resize(kept);
  swept_size_ = kept;
}

void context::detect_stalls(std::chrono::nanoseconds threshold, std::function<void(std::chrono::nanoseconds)> report) {
  loop_->stall_threshold = threshold;
  loop_->on_stall = std::move(report);
}

}  // namespace switchyard::io
