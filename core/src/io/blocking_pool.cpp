#include "core/src/io/blocking_pool.hpp"

#include <thread>
#include <utility>

#include "core/src/program_signals.hpp"

namespace switchyard::io::detail {

blocking_pool::blocking_pool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) add_thread();
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
