#include "core/src/io/blocking_pool.hpp"

#include <thread>
#include <utility>
#include <vector>

#include "core/src/program_signals.hpp"

namespace switchyard::io::detail {

// The queue's lock is kept out of a fork (a pool's threads take only it).
// In the child the pool gets a new queue: the calls queued were the parent's
// callers', and the old condition variable counts the parent's threads among
// its waiters, which would take a notify meant for the child's. The old
// queue is left to the parent's threads' copies of its pointer (none runs
// there).
blocking_pool::blocking_pool(unsigned threads)
    : threads_(threads), fork_guard_([this]() -> std::mutex& { return q_->m; },
                                     [this] {
                                       q_ = std::make_shared<queue>();
                                       q_->threads_lost = true;
                                     }) {
  for (unsigned i = 0; i < threads_; ++i) add_thread();
}

blocking_pool::~blocking_pool() {
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
