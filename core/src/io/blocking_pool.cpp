#include "core/src/io/blocking_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "core/src/program_signals.hpp"

namespace switchyard::io::detail {

/// Every pool alive, and the fork handlers that keep each one's lock out of
/// a fork: POSIX's way (pthread_atfork), as glibc's malloc does it. Never
/// destroyed: a pool may outlive static destruction (the lookups' pool).
struct pools_across_fork {
  std::mutex m;
  std::vector<blocking_pool*> pools;

  static pools_across_fork& instance() {
    static auto* const all = [] {
      auto* made = new pools_across_fork;
      pthread_atfork(&before_fork, &in_parent, &in_child);
      return made;
    }();
    return *all;
  }

  // Each pool's lock is taken after the list's: a pool's threads take only
  // their pool's lock, so none waits here for another.
  static void before_fork() {
    pools_across_fork& all = instance();
    all.m.lock();
    for (blocking_pool* p : all.pools) p->q_->m.lock();
  }
  static void in_parent() {
    pools_across_fork& all = instance();
    for (blocking_pool* p : all.pools) p->q_->m.unlock();
    all.m.unlock();
  }
  // A new queue for each pool: the calls queued were the parent's callers',
  // and the old condition variable counts the parent's threads among its
  // waiters, which would take a notify meant for the child's. The old queue
  // is left to the parent's threads' copies of its pointer (none runs here).
  static void in_child() {
    pools_across_fork& all = instance();
    for (blocking_pool* p : all.pools) {
      p->q_->m.unlock();
      p->q_ = std::make_shared<blocking_pool::queue>();
      p->q_->threads_lost = true;
    }
    all.m.unlock();
  }
};

blocking_pool::blocking_pool(unsigned threads) : threads_(threads) {
  {
    pools_across_fork& all = pools_across_fork::instance();
    std::lock_guard lock(all.m);
    all.pools.push_back(this);
  }
  for (unsigned i = 0; i < threads_; ++i) add_thread();
}

blocking_pool::~blocking_pool() {
  {
    pools_across_fork& all = pools_across_fork::instance();
    std::lock_guard lock(all.m);
    all.pools.erase(std::find(all.pools.begin(), all.pools.end(), this));
  }
  {
    std::lock_guard lock(q_->m);
    q_->stopping = true;
  }
  q_->cv.notify_all();
}

std::shared_ptr<blocking_pool::job> blocking_pool::submit(std::function<void()> call) {
  auto j = std::make_shared<job>(job{std::move(call)});
  {
    std::lock_guard lock(q_->m);
    if (std::exchange(q_->threads_lost, false)) {
      for (unsigned i = 0; i < threads_; ++i) add_thread();
    }
    q_->jobs.push_back(j);
  }
  q_->cv.notify_one();
  return j;
}

void blocking_pool::abandon(const std::shared_ptr<job>& j) {
  std::lock_guard lock(q_->m);
  j->abandoned = true;
  if (j->started && !j->finished) add_thread();
}

void blocking_pool::add_thread() {
  const switchyard::detail::program_signals_blocked born_blocking;
  std::thread([q = q_] { work(*q); }).detach();
}

void blocking_pool::work(queue& q) {
  std::unique_lock lock(q.m);
  for (;;) {
    q.cv.wait(lock, [&] { return q.stopping || !q.jobs.empty(); });
    if (q.jobs.empty()) return;
    const std::shared_ptr<job> j = std::move(q.jobs.front());
    q.jobs.pop_front();
    if (j->abandoned) continue;
    j->started = true;
    lock.unlock();
    j->call();
    lock.lock();
    j->finished = true;
    if (j->abandoned) return;  // a replacement took this thread's place
  }
}

}  // namespace switchyard::io::detail
