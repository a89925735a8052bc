// A lock that fork() must not copy held. fork() copies only the thread that
// calls it: a lock another thread held then stays locked in the child for
// good, and the child's first use of what it guards never returns. POSIX's
// way, as glibc's malloc does it (pthread_atfork): the forking thread takes
// every such lock before the fork and gives each back after it, in the
// parent and in the child. A fork waits meanwhile for whoever holds one, so
// no holder may wait for another such lock, nor fork.
#pragma once

#include <functional>
#include <mutex>

namespace switchyard::detail {

/// Keeps the mutex `lock()` names out of every fork while this lives.
/// `in_child`, when given, runs in the child after the mutex is given back
/// (to start over what the parent's threads were part of); `lock` is asked
/// at each fork, so it may name another mutex once in_child replaced it.
class lock_across_fork {
 public:
  explicit lock_across_fork(std::function<std::mutex&()> lock, std::function<void()> in_child = {});
  ~lock_across_fork();
  lock_across_fork(const lock_across_fork&) = delete;
  lock_across_fork& operator=(const lock_across_fork&) = delete;

 private:
  friend struct locks_across_fork;
  std::function<std::mutex&()> lock_;
  std::function<void()> in_child_;
};

}  // namespace switchyard::detail
