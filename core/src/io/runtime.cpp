// io::runtime: the contexts, their threads, and the shutdown that drains
// them all before any goes.
#include <switchyard/io/runtime.hpp>

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include "core/src/fork_generation.hpp"
#include "core/src/program_signals.hpp"
#include "core/src/usable_cores.hpp"

namespace switchyard::io {
namespace {

/// What a fork copied of a runtime into a child: its threads are the
/// parent's, and its loops' rings and eventfds are shared with the parent's
/// loops, so none of their teardown may run here (a context's ends its
/// loop's requests and resumes the tasks waiting on them: in a probe, a
/// segfault). Kept, reachable, until the process ends.
template <class Slots>
void keep_until_exit(std::vector<std::thread>&& threads, Slots&& slots) {
  static std::mutex m;
  static auto* const kept = new std::vector<std::pair<std::vector<std::thread>, std::decay_t<Slots>>>;
  std::lock_guard lock(m);
  kept->emplace_back(std::move(threads), std::move(slots));
}

/// The CPUs of the process's affinity, in order.
std::vector<int> affinity_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  return cpus;
}

struct where {
  const runtime* rt = nullptr;
  context* ctx = nullptr;
};
thread_local where here;

}  // namespace

/// One context and what its thread waits on, with the posts that set them
/// from other threads (ended_one() among them, which must not throw).
struct runtime::slot {
  struct setting : detail::posted_call {
    explicit setting(event& e) : to_set(&e) {
      act = [](detail::posted_call& c, action a) {
        if (a == action::run) static_cast<setting&>(c).to_set->set();
      };
    }
    event* to_set;
  };
  context ctx;
  event stop{ctx};     // stop() was called: cancel the spawned tasks
  event drained{ctx};  // every task the runtime started has ended
  setting set_stop{stop};
  setting set_drained{drained};
};

runtime::runtime(std::size_t contexts, placement threads) : fork_generation_(switchyard::detail::fork_generation()) {
  const std::vector<int> cpus = affinity_cpus();
  if (contexts == 0) contexts = switchyard::detail::usable_cores();
  for (std::size_t i = 0; i < contexts; ++i) slots_.push_back(std::make_unique<slot>());
  try {
    const switchyard::detail::program_signals_blocked born_blocking;
    for (std::size_t i = 0; i < contexts; ++i) {
      threads_.emplace_back([this, i] { drive(i); });
      if (threads == placement::own_core && cpus.size() >= contexts) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpus[i], &one);
        // Best effort: a container may refuse it, and the context still works.
        (void)::pthread_setaffinity_np(threads_.back().native_handle(), sizeof one, &one);
      }
    }
  } catch (...) {
    stop();
    throw;
  }
}

runtime::~runtime() { stop(); }

context& runtime::at(std::size_t i) {
  if (i >= slots_.size()) {
    throw error(errc::invalid_argument, "io::runtime: no context " + std::to_string(i) + " (there are " +
                                            std::to_string(slots_.size()) + ")");
  }
  return slots_[i]->ctx;
}

context* runtime::current() noexcept { return here.ctx; }

std::size_t runtime::index_of(const context& ctx) const {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (&slots_[i]->ctx == &ctx) return i;
  }
  throw error(errc::invalid_argument, "io::runtime::index_of: the context is not one of this runtime's");
}

bool runtime::runs_here() const noexcept { return here.rt == this; }

void runtime::spawn(task<void> t) { spawn_on(next_.fetch_add(1, std::memory_order_relaxed) % slots_.size(), std::move(t)); }

void runtime::spawn_on(std::size_t i, task<void> t) {
  context& ctx = at(i);
  if (!t.valid()) throw error(errc::invalid_argument, "io::runtime::spawn: the task is empty (moved from?)");
  // A task spawned by a running task keeps the count above zero meanwhile;
  // one from outside after stop() has nowhere safe to go.
  if (stopping_.load() && !runs_here()) {
    throw error(errc::invalid_argument, "io::runtime::spawn: the runtime is stopping");
  }
  ctx.spawn(counted(std::move(t), live_task(this)));
}

runtime::live_task::live_task(runtime* rt) noexcept : rt_(rt) { rt_->live_.fetch_add(1); }

runtime::live_task::~live_task() {
  if (rt_) rt_->ended_one();
}

void runtime::ended_one() noexcept {
  if (live_.fetch_sub(1) == 1 && stopping_.load()) wake_all_drained();
}

void runtime::wake_all_drained() noexcept {
  if (drained_posted_.exchange(true)) return;  // stop() and the last task's end may both get here
  for (auto& s : slots_) s->ctx.loop().post(s->set_drained);
}

task<void> runtime::counted(task<void> t, live_task) { co_await std::move(t); }

void runtime::drive(std::size_t i) {
  slot& s = *slots_[i];
  here = {this, &s.ctx};
  auto park = [&]() -> task<void> {
    co_await s.stop.wait();
    s.ctx.cancel_spawned();
    // Hops between contexts go on until every task has ended: this loop
    // keeps running for them until then.
    co_await s.drained.wait();
  };
  // A run that fails (out of memory: the park task's frame, or the loop's
  // own work) is made again, since the tasks on this context would wait
  // for good with no thread to drive it (a probe's runtime::run hung so).
  // A park left by a failed run stays with the context and ends with it.
  // Once stop() has asked, a failure that lasts a second ends the thread.
  int failures_since_stop = 0;
  for (;;) {
    try {
      s.ctx.run(park());
      break;
    } catch (...) {
      if (stopping_.load() && ++failures_since_stop > 1000) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  here = {};
}

void runtime::stop() {
  if (stopped_) return;
  if (switchyard::detail::fork_generation() != fork_generation_) {
    stopped_ = true;
    keep_until_exit(std::move(threads_), std::move(slots_));
    return;
  }
  if (runs_here()) throw error(errc::invalid_argument, "io::runtime::stop from one of its own threads would wait for itself");
  stopped_ = true;
  stopping_.store(true);
  for (auto& s : slots_) s->ctx.loop().post(s->set_stop);
  if (live_.load() == 0) wake_all_drained();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // Each context's destructor, here, ends what is still in flight (a
  // released client's polls) with its spawned tasks all done.
  slots_.clear();
}

}  // namespace switchyard::io
