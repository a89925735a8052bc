// Blocking calls (a file call on the fallback loop, a name lookup) on a few
// detached threads. A call may block for good (an open of a FIFO with no
// writer, a lookup whose server never answers): once its caller gives up on
// it, nobody waits for it, its thread is replaced, and whatever it returns is
// dropped by the call itself. The threads share their queue with the pool
// through a shared_ptr, so one still blocked may outlive the pool.
//
// A child that fork() made gets none of the pool's threads (fork copies only
// the thread that calls it), so every pool starts over there: a new, empty
// queue, and its threads started again at the child's first submit. The
// fork waits for each pool's lock, so the child's copy of none is held.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "core/src/lock_across_fork.hpp"

namespace switchyard::io::detail {

class blocking_pool {
 public:
  /// One call. Its flags are the pool's to guard.
  struct job {
    std::function<void()> call;
    bool started = false;
    bool finished = false;
    bool abandoned = false;
  };

  explicit blocking_pool(unsigned threads);
  /// Idle threads exit; one blocked in an abandoned call exits once the
  /// call returns. The owner has first waited for every call it still wants.
  ~blocking_pool();
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  std::shared_ptr<job> submit(std::function<void()> call);
  /// Nobody waits for `j` any more. One not started never runs; one running
  /// gets a replacement thread, so that calls blocked for good cannot take
  /// every thread.
  void abandon(const std::shared_ptr<job>& j);

 private:
  struct queue {
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::shared_ptr<job>> jobs;
    bool stopping = false;
    /// Set in a forked child: the pool's threads are the parent's, so the
    /// first submit starts them again.
    bool threads_lost = false;
  };
  void add_thread();
  static void work(queue& q);

  const unsigned threads_;
  std::shared_ptr<queue> q_ = std::make_shared<queue>();
  switchyard::detail::lock_across_fork fork_guard_;  ///< q_->m's, and a new queue in a child (blocking_pool.cpp)
};

}  // namespace switchyard::io::detail
