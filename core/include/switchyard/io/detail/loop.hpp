// What an I/O backend implements: start an operation, cancel it, run
// callbacks posted from other threads, and drive completions until a
// condition holds. io_uring implements it in backends/io_uring; a fallback
// (epoll and a thread pool) can implement the same interface.
#pragma once

#include <switchyard/detail/export.hpp>
#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace switchyard::io::detail {

enum class op_kind : std::uint8_t {
  read, write, fsync, open, close, accept, connect, send, recv, shutdown, sleep,
  poll  ///< readiness of a descriptor the loop does not own (a library's socket)
};

/// now + d, saturated: a duration too long to add (nanoseconds::max(), a
/// way to say "never") is time_point::max(), never a wrapped past instant.
inline std::chrono::steady_clock::time_point deadline_after(std::chrono::steady_clock::time_point now,
                                                            std::chrono::nanoseconds d) noexcept {
  using time_point = std::chrono::steady_clock::time_point;
  const auto room = time_point::max() - now;
  return d >= room ? time_point::max() : now + std::chrono::duration_cast<time_point::duration>(d);
}

/// One operation's parameters. Which fields count depends on kind.
struct op_request {
  op_kind kind;
  int fd = -1;
  void* buffer = nullptr;        ///< read, recv: into; write, send: from (const)
  std::size_t length = 0;
  std::uint64_t offset = 0;      ///< read, write: file offset
  int flags = 0;                 ///< open: O_ flags; shutdown: SHUT_ how; poll: POLLIN / POLLOUT
  unsigned mode = 0;             ///< open
  const char* path = nullptr;    ///< open
  const sockaddr* address = nullptr;  ///< connect
  socklen_t address_length = 0;
  std::chrono::nanoseconds duration{0};  ///< sleep: how long
  std::chrono::nanoseconds timeout{0};   ///< any: 0 = none; else the op ends with -ETIME after it
};

/// A coroutine to resume on the loop's next turn (loop::schedule), queued
/// through storage its waiter keeps: waking a waiter allocates nothing and
/// so cannot fail, in a destructor (a limiter's permit) or in the middle of
/// the loop's own work (a completion) alike. Queued at most once at a time.
struct ready_node {
  std::coroutine_handle<> waiter;
  ready_node* next_ready = nullptr;
};

/// One operation in flight. It lives in the awaiting coroutine's frame, which
/// stays suspended until the operation's final completion (a cancelled one
/// included), so the record and the buffer outlive the kernel's use of them.
struct op_record : ready_node {
  long result = 0;        ///< >= 0: the op's result (poll: the revents); < 0: -errno (-ECANCELED, -ETIME)
  /// The request start() was given. Its caller keeps it until the operation
  /// completes, so that a backend can submit it again.
  const op_request* request = nullptr;
  bool cancel_asked = false;      ///< cancel() was called for it
  std::uint64_t scratch[6] = {};  ///< backend storage (a timespec, a statx) kept with the op
};

class loop;

/// A callback queued by loop::post. Queued as itself it costs no allocation,
/// so a poster that has no one to report a failure to (a compute or pool
/// thread handing back a result, a stop callback, a destructor) cannot
/// fail: the node lives where its poster keeps it (a suspended coroutine's
/// frame) until it has run or is withdrawn, and is queued at most once at
/// a time.
struct posted_call {
  /// run: what was posted. drop (a node still queued when its loop goes,
  /// never run): free it, where the loop owns it. One pointer for both
  /// keeps the node small: it lives in coroutine frames.
  enum class action : bool { run, drop };
  void (*act)(posted_call&, action) = nullptr;
  posted_call* next = nullptr;
};

/// A coroutine resumed on the loop's thread, posted from any thread or
/// scheduled from the loop's own: either queues this node.
struct posted_resume : posted_call, ready_node {
  posted_resume() noexcept {
    act = [](posted_call& c, action a) {
      if (a == action::run) static_cast<posted_resume&>(c).waiter.resume();
    };
  }
};

/// A coroutine moving from one loop's thread to another's (hop()): it waits
/// here, in its frame, until it is resumed on `to`: scheduled there when a
/// message from ring to ring brings it, else by a post of this record.
struct hop_record : posted_resume {
  loop* to = nullptr;
};

class SWITCHYARD_API loop {
 public:
  /// Closes the wake-up eventfd, once no post() is half done, and drops
  /// the calls that never ran (posted_call::action::drop).
  virtual ~loop();
  /// Starts `r`; when it completes, rec.result is set and rec.waiter resumed
  /// on the loop's thread, never inside start() itself (the waiter is still
  /// in its await_suspend). Throws std::system_error when it cannot start.
  /// `r` must outlive the operation (the backend may submit it again).
  void start(op_record& rec, const op_request& r) {
    rec.request = &r;
    rec.cancel_asked = false;
    ++in_flight_;
    try {
      begin(rec, r);
    } catch (...) {
      --in_flight_;
      throw;
    }
  }
  /// Asks for `rec` to finish early (with -ECANCELED). Loop thread only.
  void cancel(op_record& rec) {
    rec.cancel_asked = true;
    end_early(rec);
  }
  /// Runs c on the loop's thread soon, in the order of posting. Any thread;
  /// c must stay where it is until it has run.
  void post(posted_call& c) noexcept {
    // The wake-up is sent under the lock, so that once the loop has run this
    // callback (and may be destroyed), no poster still touches its eventfd.
    std::lock_guard lock(posted_m_);
    c.next = nullptr;
    (posted_tail_ ? posted_tail_->next : posted_head_) = &c;
    posted_tail_ = &c;
    wake();
  }
  /// Takes c out of the queue if it is still there, so that it never runs
  /// (its owner is about to go); false when it was not queued. Loop thread
  /// only: c may be in the batch the loop is running.
  bool withdraw(posted_call& c) noexcept;
  /// Resumes rec.waiter on rec.to's thread. Called on this loop's thread by
  /// the coroutine that moves. By default a post() to the other loop (a
  /// lock, a callback and an eventfd write each); io_uring sends a message
  /// from ring to ring instead, submitted with this loop's next batch.
  virtual void hop(hop_record& rec) { rec.to->post(rec); }
  /// The descriptor other rings send their messages to (io_uring's ring),
  /// or -1 where the loop takes none.
  virtual int message_fd() const noexcept { return -1; }
  /// The descriptor is about to be closed: drop what the loop keeps for it
  /// (a listening socket's multishot accept) and end what waits on it
  /// cancelled, resumed on a later turn. Loop thread only.
  virtual void forget_fd(int fd) noexcept { (void)fd; }
  /// Processes posted callbacks, due timers, ready coroutines and completions
  /// until done() is true; the calling thread becomes the loop's thread.
  void run_until(const std::function<bool()>& done) {
    owner_.store(std::this_thread::get_id());
    for (;;) {
      run_posted();
      // Timers before ready work: a timer's waiter may schedule others (a
      // limiter passing its place on), which must run before the loop blocks.
      expire_timers();
      const bool ran = run_ready();
      if (done()) return;
      if (!ran) wait();
    }
  }
  /// Operations started and not yet completed.
  std::size_t in_flight() const noexcept { return in_flight_; }
  /// "io_uring" or "fallback", and why this one.
  virtual std::string_view name() const noexcept = 0;
  virtual std::string_view reason() const noexcept = 0;
  /// True on the thread that drives the loop (the last to call run_until).
  bool on_loop_thread() const noexcept { return std::this_thread::get_id() == owner_.load(); }

  /// Resumes n.waiter on the loop's next turn. Loop thread only (no system
  /// call, no allocation).
  void schedule(ready_node& n) noexcept {
    n.next_ready = nullptr;
    (ready_tail_ ? ready_tail_->next_ready : ready_head_) = &n;
    ready_tail_ = &n;
  }
  /// The same for a coroutine that keeps no node (a spawned task's first
  /// turn): std::bad_alloc leaves it unscheduled.
  void schedule(std::coroutine_handle<> h) { ready_.push_back(h); }

  /// The stall detector: a resumption that keeps the loop busy longer than
  /// stall_threshold is reported to on_stall (0 or no callback: off).
  std::chrono::nanoseconds stall_threshold = std::chrono::milliseconds(100);
  std::function<void(std::chrono::nanoseconds)> on_stall;

 protected:
  /// `wake_flags`: the wake-up eventfd's flags (EFD_NONBLOCK where the
  /// backend reads it itself). Throws std::system_error without one.
  explicit loop(int wake_flags);
  /// The eventfd post() writes to; the backend waits on it with the rest.
  int wake_fd() const noexcept { return wake_fd_; }

  /// Blocks until a completion or a post() arrives, and handles what came.
  virtual void wait() = 0;
  /// Completes the timers that are due, for a backend that keeps its own
  /// (io_uring's are completions like any other).
  virtual void expire_timers() {}

  /// The backend's part of start(): hand `r` to the kernel (or wherever);
  /// it ends with complete() or complete_soon().
  virtual void begin(op_record& rec, const op_request& r) = 0;
  /// The backend's part of cancel().
  virtual void end_early(op_record& rec) = 0;

  /// A started operation has its result: resume its waiter now.
  void complete(op_record& rec, long result) {
    rec.result = result;
    --in_flight_;
    resume_watched(rec.waiter);
  }
  /// The same, for a result known inside begin() or a caller's frame: the
  /// waiter resumes on the loop's next turn. Queued through the record, so
  /// it cannot fail: a result already taken from the kernel (bytes
  /// received, a connection accepted) is never lost to an allocation, and a
  /// descriptor's close (noexcept) can always end what waits on it.
  void complete_soon(op_record& rec, long result) noexcept {
    rec.result = result;
    --in_flight_;
    schedule(rec);
  }

  /// Runs the callbacks post() queued (offload completions resume their
  /// coroutines here). One that throws leaves those after it queued.
  void run_posted();

  /// Resumes what schedule() queued; false when there was nothing.
  bool run_ready() {
    if (ready_.empty() && !ready_head_) return false;
    ready_node* n = std::exchange(ready_head_, nullptr);
    ready_tail_ = nullptr;
    std::vector<std::coroutine_handle<>> now;
    now.swap(ready_);
    while (n) {
      ready_node* const next = n->next_ready;  // read first: the waiter may free the node
      resume_watched(n->waiter);
      n = next;
    }
    for (auto h : now) resume_watched(h);
    return true;
  }

  /// Resumes h and reports it when it ran longer than the threshold.
  void resume_watched(std::coroutine_handle<> h) {
    if (!on_stall || stall_threshold.count() <= 0) return h.resume();
    const auto t0 = std::chrono::steady_clock::now();
    h.resume();
    const auto busy = std::chrono::steady_clock::now() - t0;
    if (busy > stall_threshold) on_stall(std::chrono::duration_cast<std::chrono::nanoseconds>(busy));
  }

 private:
  /// Makes a blocked wait() look at posted callbacks (an eventfd write).
  /// Called with the post lock held.
  void wake() noexcept;

  int wake_fd_;
  std::size_t in_flight_ = 0;
  std::mutex posted_m_;
  posted_call* posted_head_ = nullptr;
  posted_call* posted_tail_ = nullptr;
  /// The rest of the batch run_posted() is running (loop thread only).
  posted_call* running_ = nullptr;
  std::vector<std::coroutine_handle<>> ready_;
  ready_node* ready_head_ = nullptr;
  ready_node* ready_tail_ = nullptr;
  std::atomic<std::thread::id> owner_{};
};

}  // namespace switchyard::io::detail
