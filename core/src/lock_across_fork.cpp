#include "core/src/lock_across_fork.hpp"

#include <pthread.h>

#include <utility>
#include <vector>

namespace switchyard::detail {

/// Every lock_across_fork alive, and the fork handlers. Never destroyed: a
/// fork may come during exit, and an owner may outlive static destruction
/// (the name lookups' blocking pool).
struct locks_across_fork {
  std::mutex m;
  std::vector<lock_across_fork*> held;

  static locks_across_fork& instance() {
    static auto* const all = [] {
      auto* made = new locks_across_fork;
      pthread_atfork(&before_fork, &in_parent, &in_child);
      return made;
    }();
    return *all;
  }

  // Each lock is taken after the list's; no holder of one waits for another
  // (lock_across_fork.hpp), so none waits here for the forking thread.
  static void before_fork() {
    locks_across_fork& all = instance();
    all.m.lock();
    for (lock_across_fork* l : all.held) l->lock_().lock();
  }
  static void in_parent() {
    locks_across_fork& all = instance();
    for (lock_across_fork* l : all.held) l->lock_().unlock();
    all.m.unlock();
  }
  static void in_child() {
    locks_across_fork& all = instance();
    for (lock_across_fork* l : all.held) {
      l->lock_().unlock();
      if (l->in_child_) l->in_child_();
    }
    all.m.unlock();
  }
};

lock_across_fork::lock_across_fork(std::function<std::mutex&()> lock, std::function<void()> in_child)
    : lock_(std::move(lock)), in_child_(std::move(in_child)) {
  locks_across_fork& all = locks_across_fork::instance();
  std::lock_guard guard(all.m);
  all.held.push_back(this);
}

lock_across_fork::~lock_across_fork() {
  locks_across_fork& all = locks_across_fork::instance();
  std::lock_guard guard(all.m);
  std::erase(all.held, this);
}

}  // namespace switchyard::detail
