// io::runtime: several contexts, each with its own loop (its own ring, or
// epoll loop on the fallback) and its own thread; by default one per core
// of the process's CPU affinity, the threads placed by the OS (or each
// pinned to a core of its own: placement::own_core). A task stays on the
// context it was spawned on; moving is explicit:
//
//     io::runtime rt;                               // one context per core
//     rt.spawn(serve(listener_on_each_core));       // round robin
//     int n = rt.run(count_pages(rt));              // blocks this (outside) thread
//
//     task<int> count_pages(io::runtime& rt) {
//       auto [a, b] = co_await io::when_all(rt.on(0, fetch(...)), rt.on(1, fetch(...)));
//       co_await rt.switch_to(1);                   // now on context 1's thread
//       ...
//     }
//
// on(i, t) runs t on context i and comes back to the caller's context, so
// when_all and when_any work across contexts (their bookkeeping stays on
// the caller's), and a cancellation reaches t's operations on context i.
// A hop between two io_uring contexts is a message from ring to ring
// (IORING_OP_MSG_RING, sent with the leaving context's next submission);
// otherwise a callback posted to the other loop, whose eventfd wakes it.
// A task that is awaited (co_await, when_all, when_any) resumes its awaiter
// on the thread where it ends: one that switch_to()s away comes back before
// it ends (on() does that for it).
//
// stop() (and the destructor) cancels every context's spawned tasks, waits
// until every task the runtime started has ended, on every context, then
// until no operation is in flight, and joins the threads.
//
// A runtime belongs to the process that made it. In a child that fork()
// made, which has none of its threads and shares its rings with the
// parent, spawn() and run() throw invalid_argument (as its contexts do),
// and stop() (the destructor) lets go of the child's copy without touching
// the parent's loops: the child makes a runtime of its own.
#pragma once

#include <switchyard/detail/export.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <switchyard/error.hpp>
#include <switchyard/io/context.hpp>
#include <switchyard/io/event.hpp>
#include <switchyard/task.hpp>

namespace switchyard::io {

/// Where a runtime's threads run.
///
/// - any_core (the default): where the OS scheduler puts them. A program
///   rarely has the machine to itself: the server it talks to, or another
///   program, needs a core too, and the scheduler can give one to it.
/// - own_core: context i's thread pinned to the i-th CPU of the process's
///   affinity (where it has at least as many CPUs as contexts; otherwise, or
///   where a container refuses it, placed by the OS). For a machine given
///   to this program, where a thread that never moves keeps its caches.
///
/// On a 2-core guest fetching pages from an nginx on the same cores, two
/// pinned contexts made 79-84k requests/s and two placed by the OS 102-114k:
/// pinned, nginx's worker always shared a core with a busy context. Random
/// reads, the static server and hops between busy loops measured the same
/// either way (docs/PERF.md, "Where a runtime's threads run").
enum class placement { any_core, own_core };

class SWITCHYARD_API runtime {
 public:
  /// `contexts` contexts (0: one per core of the process's CPU affinity,
  /// no more than its cgroup's CPU quota rounded up, as engine_config's
  /// max_threads counts), their threads started and placed as `threads` says. Throws what
  /// io::context throws.
  explicit runtime(std::size_t contexts = 0, placement threads = placement::any_core);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  std::size_t size() const noexcept { return slots_.size(); }
  context& at(std::size_t i);
  /// The context whose thread is calling (any runtime's), or nullptr.
  static context* current() noexcept;
  /// Which of this runtime's contexts `ctx` is.
  std::size_t index_of(const context& ctx) const;

  /// Starts t on the next context, round robin. Any thread.
  void spawn(task<void> t);
  /// Starts t on context i. Any thread.
  void spawn_on(std::size_t i, task<void> t);

  /// Runs t on the next context and blocks the calling thread until it ends;
  /// its value, or its exception. Not from one of the runtime's own threads
  /// (that would wait for itself): co_await there.
  template <class T>
  T run(task<T> t) {
    if (runs_here()) {
      throw error(errc::invalid_argument, "io::runtime::run from one of its own threads would wait for itself; co_await");
    }
    std::promise<T> result;
    std::future<T> done = result.get_future();
    spawn(deliver(std::move(t), std::move(result)));
    return done.get();
  }

  /// co_await switch_to(i): the coroutine goes on on context i's thread.
  class switch_awaiter {
   public:
    explicit switch_awaiter(context& to) noexcept : to_(&to) {}
    bool await_ready() const noexcept { return current() == to_; }
    void await_suspend(std::coroutine_handle<> h) {
      hop_.waiter = h;
      hop_.to = &to_->loop();
      // From a context's thread, that loop sends it; from elsewhere, a post.
      if (context* from = current()) return from->loop().hop(hop_);
      to_->loop().post(hop_);
    }
    void await_resume() const noexcept {}

   private:
    context* to_;
    detail::hop_record hop_;  // in the coroutine's frame while it moves
  };
  switch_awaiter switch_to(std::size_t i) { return switch_awaiter(at(i)); }

  /// t on context i; the caller resumes on its own context afterwards. From
  /// a task on one of the runtime's contexts (else: invalid_argument, since
  /// there is no context to come back to).
  template <class T>
  task<T> on(std::size_t i, task<T> t) {
    context* home = current();
    if (!home) {
      throw error(errc::invalid_argument,
                  "io::runtime::on: await it from a task on one of the runtime's contexts (run() or spawn() one)");
    }
    co_await switch_to(i);
    std::exception_ptr failed;
    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> value;
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
      } else {
        value.emplace(co_await std::move(t));
      }
    } catch (...) {
      failed = std::current_exception();
    }
    co_await switch_awaiter(*home);
    if (failed) std::rethrow_exception(failed);
    if constexpr (!std::is_void_v<T>) co_return std::move(*value);
  }

  /// Cancels, drains and joins (above). Idempotent; not from the runtime's
  /// own threads.
  void stop();

 private:
  struct slot;
  bool runs_here() const noexcept;
  void ended_one() noexcept;
  void wake_all_drained() noexcept;
  void drive(std::size_t i);

  /// One task counted in live_ from its making to its frame's end, run or
  /// not: a task whose spawn failed (out of memory) after it was made is
  /// counted out when its frame goes, or stop() would wait for it for good.
  class live_task {
   public:
    explicit live_task(runtime* rt) noexcept;
    live_task(live_task&& o) noexcept : rt_(std::exchange(o.rt_, nullptr)) {}
    live_task& operator=(live_task&&) = delete;
    ~live_task();

   private:
    runtime* rt_;
  };

  /// A task the runtime counts until its frame ends (the parameter's copy
  /// in it goes with it).
  static task<void> counted(task<void> t, live_task count);

  template <class T>
  static task<void> deliver(task<T> t, std::promise<T> result) {
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
        result.set_value();
      } else {
        result.set_value(co_await std::move(t));
      }
    } catch (...) {
      result.set_exception(std::current_exception());
    }
  }

  std::vector<std::unique_ptr<slot>> slots_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> live_{0};  // tasks spawned through the runtime, not yet ended
  std::atomic<bool> stopping_{false};
  std::atomic<bool> drained_posted_{false};  // each slot's drained post is queued once
  bool stopped_ = false;
  unsigned fork_generation_ = 0;  // the process's (core/src/fork_generation.hpp) that started the threads
};

}  // namespace switchyard::io
