// The threads backend: chunks spread over a oneTBB task_arena (work stealing),
// each chunk through the SIMD kernels. One arena per thread count a call asks
// for, made on first use and kept by the engine, so a call pays no thread
// start-up and takes no lock. A call of several chunks first wakes apart a
// worker that last ran on its caller's CPU, or on another worker's
// (backends/chunked/spread.hpp). In a child that fork() made after the
// workers started, it runs without oneTBB (workers_started_in), and posted
// jobs run on threads of its own wherever oneTBB has no worker for them.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <switchyard/engine.hpp>

#include "backends/chunked/chunked_backend.hpp"
#include "backends/chunked/spread.hpp"
#include "core/src/fork_generation.hpp"
#include "core/src/fork_safe_mutex.hpp"
#include "core/src/io/blocking_pool.hpp"
#include "core/src/log_sink.hpp"
#include "core/src/program_signals.hpp"
#include "core/src/set_up_once.hpp"
#include "kernels/simd/kernel_set.hpp"

namespace switchyard::backends::threads {
namespace {

/// The calls this thread is inside (more than one when a chunk calls the
/// library again). A thread that runs chunks while in none is one of
/// oneTBB's workers: only those note where they ran, and so are ever moved,
/// never a caller's thread, which may run another call's chunks while it
/// waits for its own. (A task_scheduler_observer could say so too, but
/// oneTBB frees its record on a worker some time after the observer goes,
/// which LeakSanitizer saw as a leak in half the runs of a program that
/// exits soon after.)
thread_local unsigned calls_inside = 0;

/// What a thread that runs a call's work acquires before it reads the call's
/// stack, which the caller released into it. One variable for every call,
/// not one on each call's stack: the closure that points to the latter is on
/// that stack too. Every write is a release read-modify-write, so an acquire
/// that reads a later call's count still synchronizes with this call.
std::atomic<unsigned> handed_over{0};

pid_t this_thread_id() noexcept {
  thread_local const pid_t tid = gettid();
  return tid;
}

/// Calls of fewer chunks are left where the OS puts their workers: a
/// one-chunk call runs on its caller alone, and in a few chunks two moves
/// cost about what they save.
constexpr std::size_t spread_min_chunks = 4;

/// The fork generation (fork_generation.hpp) in which this library first
/// started oneTBB's workers, or none. In a child that fork() made after
/// that (and in its children) oneTBB's state still counts the workers that
/// fork did not copy: a call in an arena may wait for good on a task a
/// worker held at the fork, and a job enqueued never runs, in a new arena
/// too; oneTBB cannot start its workers again there. So in such a process a
/// call runs its chunks on the calling thread (the same bits: a result does
/// not depend on the thread count) and posted jobs run on threads of the
/// backend's own.
constexpr unsigned never = ~0u;
std::atomic<unsigned> workers_started_in{never};

bool forked_from_workers() noexcept {
  const unsigned started = workers_started_in.load(std::memory_order_relaxed);
  return started != never && started != detail::fork_generation();
}

/// Whether oneTBB set itself up: 0 not tried, 1 ready, -1 failed.
std::atomic<int> tbb_state{0};

/// oneTBB sets itself up inside the first calls that need it (its
/// concurrency, its thread pool with the first arena), and an exception
/// there (out of memory) leaves that set-up half done for good: a later
/// call into oneTBB waited forever, or its arena's job never ran (both seen
/// in an out-of-memory sweep). So a failure is kept: from then on the
/// backend's calls run on the calling thread in this process, as in a
/// process forked from one with oneTBB's workers, and posted jobs on threads
/// of its own.
void tbb_failed() noexcept { tbb_state.store(-1, std::memory_order_release); }

/// The first of those calls, made here one thread at a time.
bool tbb_ready() noexcept {
  static detail::fork_safe_mutex first_call;
  if (const int s = tbb_state.load(std::memory_order_acquire); s != 0) return s > 0;
  const std::lock_guard lock(first_call);
  if (tbb_state.load(std::memory_order_relaxed) == 0) {
    try {
      (void)tbb::info::default_concurrency();
      tbb_state.store(1, std::memory_order_release);
    } catch (...) {
      tbb_failed();
    }
  }
  return tbb_state.load(std::memory_order_acquire) > 0;
}

/// Once in each process that runs without oneTBB, and why: a threads call
/// there is no faster than a simd one, which the program may want to know.
void warn_of_running_alone() noexcept {
  static std::atomic<unsigned> warned_in{never};
  const unsigned here = detail::fork_generation();
  if (warned_in.exchange(here, std::memory_order_relaxed) == here) return;
  detail::log_line(log_level::warning,
                   forked_from_workers()
                       ? "this process was forked from one whose threads backend had started its oneTBB workers, which "
                         "fork() does not copy and oneTBB cannot start again here; threads calls run their chunks on "
                         "the calling thread in this process"
                       : "oneTBB could not set itself up in this process (out of memory when it first ran) and cannot "
                         "try again; threads calls run their chunks on the calling thread in this process");
}

/// Has oneTBB start the arena's workers now, each born with the program's
/// signals blocked (program_signals.hpp): it starts them on the thread that
/// first asks for them, and a task enqueued asks for every one the arena
/// may have.
void start_workers(tbb::task_arena& arena) {
  unsigned expected = never;
  workers_started_in.compare_exchange_strong(expected, detail::fork_generation(), std::memory_order_relaxed);
  const detail::program_signals_blocked born_blocking;
  try {
    arena.initialize();
    arena.enqueue([] {});
  } catch (...) {
    tbb_failed();
    throw;
  }
}

/// An arena, and where each of its worker slots' threads last ran a chunk.
class placed_arena {
 public:
  explicit placed_arena(unsigned threads) : arena_(static_cast<int>(threads)), slots_(threads) {}

  tbb::task_arena& arena() noexcept { return arena_; }

  /// On the thread running a range of chunks: a worker notes its thread id
  /// and CPU in its slot (one store each; the CPU is glibc's rseq read).
  void note() noexcept {
    if (calls_inside > 0) return;
    // A worker oneTBB started for another arena, from a thread of the
    // program's, was born with the program's signals open.
    detail::keep_program_signals_off_this_thread();
    const int index = tbb::this_task_arena::current_thread_index();
    if (index < 0 || static_cast<std::size_t>(index) >= slots_.size()) return;
    slots_[index].tid.store(this_thread_id(), std::memory_order_relaxed);
    slots_[index].cpu.store(sched_getcpu(), std::memory_order_relaxed);
  }

  /// Moves each worker that last ran on the caller's CPU, or on another
  /// worker's, to a CPU none of them ran on, for the life of `apart`.
  void spread(std::vector<std::unique_ptr<wake_on_cpu>>& apart) {
    std::array<int, 64> last{};
    std::array<pid_t, 64> tids{};
    std::size_t n = 0;
    last[n++] = sched_getcpu();  // the caller, kept where it is
    for (const slot& s : slots_) {
      const pid_t tid = s.tid.load(std::memory_order_relaxed);
      // A worker of oneTBB that calls from inside a task of its own has a slot too.
      if (tid <= 0 || tid == this_thread_id() || n == last.size()) continue;
      tids[n] = tid;
      last[n++] = s.cpu.load(std::memory_order_relaxed);
    }
    if (n < 2) return;
    // Where the workers may run, read from one (the caller may be held to fewer CPUs).
    const std::vector<int> targets = spread_targets(std::span<const int>(last.data(), n), tids[1]);
    if (targets.empty()) return;
    for (std::size_t i = 1; i < n; ++i) {
      // Only a thread of this process: a worker that ended may have left an
      // id the system has given to another program's thread.
      if (targets[i] >= 0 && tgkill(getpid(), tids[i], 0) == 0) {
        apart.push_back(std::make_unique<wake_on_cpu>(tids[i], targets[i]));
      }
    }
  }

 private:
  struct alignas(64) slot {
    std::atomic<pid_t> tid{0};
    std::atomic<int> cpu{-1};
  };
  tbb::task_arena arena_;
  std::vector<slot> slots_;
};

class threads_backend final : public chunked_backend<kernels::simd::kernel_set> {
 public:
  explicit threads_backend(unsigned max_threads) : arenas_(max_threads + 1) {}
  ~threads_backend() override {
    for (auto& a : arenas_) delete a.load();
    if (auto* q = queue_.load()) delete q;
  }

  std::string unavailable_reason() noexcept override { return {}; }
  bool runs_callables() const noexcept override { return true; }

  detail::status run_chunks(std::size_t count, unsigned max_threads,
                            detail::function_ref<void(std::size_t)> body) noexcept override {
    return detail::guarded([&] { for_each(count, max_threads, body); });
  }

  detail::status post(std::function<void()> job) noexcept override {
    return detail::guarded([&] {
      if (forked_from_workers() || !tbb_has_workers_ || !tbb_ready()) {
        (void)own_threads().submit(std::move(job));
        return;
      }
      queue().enqueue([job = std::move(job)] {
        detail::keep_program_signals_off_this_thread();
        job();
      });
    });
  }

 private:
  void for_each(std::size_t count, unsigned max_threads, detail::function_ref<void(std::size_t)> body) {
    const unsigned threads = std::clamp<unsigned>(max_threads, 1, static_cast<unsigned>(arenas_.size() - 1));
    const bool on_workers = threads > 1 && count > 1;
    if (!on_workers || forked_from_workers() || !tbb_ready()) {
      if (on_workers) warn_of_running_alone();
      for (std::size_t i = 0; i < count; ++i) body(i);
      return;
    }
    placed_arena& a = arena(threads);
    std::vector<std::unique_ptr<wake_on_cpu>> apart;  // given back when the call returns
    if (count >= spread_min_chunks) a.spread(apart);
    // The hand-offs between the caller and the workers, as C++ atomics: oneTBB
    // synchronizes them inside libtbb.so, where ThreadSanitizer cannot see it
    // unless oneTBB itself was built with it (Debian's is not). One acquire and
    // one release per range of chunks cost nothing next to a chunk's work.
    std::atomic<std::size_t> finished{0};
    const auto run = [&] {
      // A worker runs this, not the caller, when another caller's call holds
      // the arena's slot: it reads this call's stack only after the acquire.
      (void)handed_over.load(std::memory_order_acquire);
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 1), [&](const tbb::blocked_range<std::size_t>& r) {
        (void)handed_over.load(std::memory_order_acquire);
        try {
          for (std::size_t i = r.begin(); i != r.end(); ++i) body(i);
        } catch (...) {
          // A caller's callable threw: the exception reaches the caller
          // through libtbb.so too, so this release orders what the range
          // wrote, and the exception itself, before the caller's acquire.
          finished.fetch_add(0, std::memory_order_release);
          throw;
        }
        a.note();
        finished.fetch_add(r.size(), std::memory_order_release);
      });
    };
    handed_over.fetch_add(1, std::memory_order_release);  // after `run` is made: it is on this stack too
    ++calls_inside;
    struct leave {
      ~leave() { --calls_inside; }
    } on_return;
    try {
      a.arena().execute(run);
    } catch (...) {
      (void)finished.load(std::memory_order_acquire);
      throw;
    }
    (void)finished.load(std::memory_order_acquire);
  }

  /// The arena of `threads` slots: one atomic load when it exists; the first
  /// caller makes it, and a racing second one drops its copy. Each is set up
  /// before it is shared: one whose set-up threw (out of memory inside
  /// oneTBB) stays half made for good, and is dropped, not kept.
  placed_arena& arena(unsigned threads) {
    std::atomic<placed_arena*>& slot = arenas_[threads];
    if (placed_arena* a = slot.load(std::memory_order_acquire)) return *a;
    auto made = std::make_unique<placed_arena>(threads);
    start_workers(made->arena());
    placed_arena* expected = nullptr;
    if (!slot.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel)) return *expected;
    return *made.release();
  }

  /// As many threads for posted jobs as their arena has workers.
  int post_workers() const noexcept { return static_cast<int>(std::max<std::size_t>(1, arenas_.size() - 2)); }

  /// Where posted jobs run: no slot reserved for a caller, so a job runs on a
  /// worker although no thread ever joins this arena.
  tbb::task_arena& queue() {
    if (tbb::task_arena* q = queue_.load(std::memory_order_acquire)) return *q;
    auto made = std::make_unique<tbb::task_arena>(post_workers(), 0);
    start_workers(*made);  // before it is shared, as arena()'s
    tbb::task_arena* expected = nullptr;
    if (!queue_.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel)) return *expected;
    return *made.release();
  }

  /// Where posted jobs run where oneTBB has no worker for them: in a
  /// process forked from one with oneTBB's workers (a pool that itself
  /// starts over in a further fork), or allowed one CPU.
  io::detail::blocking_pool& own_threads() {
    own_threads_made_.run([&] {
      own_threads_ = std::make_unique<io::detail::blocking_pool>(static_cast<unsigned>(post_workers()));
    });
    return *own_threads_;
  }

  std::vector<std::atomic<placed_arena*>> arenas_;
  /// Whether oneTBB gives this process a worker thread: not where it may run
  /// on one CPU, where an arena for posted jobs asks for one anyway and
  /// oneTBB prints a warning on the program's stderr (a job still ran, on a
  /// worker it starts for enqueued work).
  const bool tbb_has_workers_ = tbb_ready() && tbb::info::default_concurrency() > 1;
  std::atomic<tbb::task_arena*> queue_{nullptr};
  detail::set_up_once own_threads_made_;
  std::unique_ptr<io::detail::blocking_pool> own_threads_;
};

}  // namespace

std::unique_ptr<detail::compute_backend> make(const engine_config& config) {
  return std::make_unique<threads_backend>(config.max_threads);
}

}  // namespace switchyard::backends::threads
