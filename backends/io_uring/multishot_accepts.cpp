#include "backends/io_uring/multishot_accepts.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace switchyard::backends::io_uring {

using io::detail::op_record;

// Each step that may throw (out of memory) comes before what it would leave
// half done: an empty slot in by_fd_ was dereferenced when the socket
// closed, and a waiter left queued by a failed arm() would be resumed after
// its operation had failed.
void multishot_accepts::take(op_record& rec, int fd) {
  auto found = by_fd_.find(fd);
  if (found == by_fd_.end()) {
    auto made = std::make_unique<acceptor>();
    made->fd = fd;
    found = by_fd_.emplace(fd, std::move(made)).first;
  }
  acceptor& a = *found->second;
  if (!a.ready.empty()) {
    const int got = a.ready.front();
    a.ready.pop_front();
    return owner_.resume_soon(rec, got);
  }
  a.waiters.push_back(&rec);
  if (a.armed) return;
  try {
    arm(a);
  } catch (...) {
    a.waiters.pop_back();
    throw;
  }
}

void multishot_accepts::arm(acceptor& a) {
  owner_.arm(a);
  a.armed = true;  // only once the request is submitted: arm() may throw
}

bool multishot_accepts::cancel(op_record& rec) {
  for (auto& [fd, a] : by_fd_) {
    const auto it = std::find(a->waiters.begin(), a->waiters.end(), &rec);
    if (it == a->waiters.end()) continue;
    a->waiters.erase(it);
    owner_.resume_soon(rec, -ECANCELED);
    return true;
  }
  return false;
}

multishot_accepts::~multishot_accepts() {
  while (retired_) delete std::exchange(retired_, retired_->next_retired);
}

void multishot_accepts::forget(int fd) {
  const auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return;
  retire(*it->second);
  by_fd_.erase(it);
}

void multishot_accepts::retire_all() {
  for (auto& [fd, a] : by_fd_) retire(*a);
  by_fd_.clear();
}

/// The socket is closing: its waiters end cancelled, connections not yet
/// taken are closed, and the multishot request is cancelled; the acceptor
/// lives on (in retired_) until the kernel's last completion for it.
void multishot_accepts::retire(acceptor& a) noexcept {
  a.retired = true;
  for (int fd : a.ready) ::close(fd);
  a.ready.clear();
  for (op_record* w : a.waiters) owner_.resume_soon(*w, -ECANCELED);
  a.waiters.clear();
  if (a.armed) {
    try {
      owner_.disarm(a);
    } catch (...) {
      // No room to cancel: it stays retired (kept) until a last completion.
    }
  }
  for (auto& [fd, owned] : by_fd_) {
    if (owned.get() != &a) continue;
    a.next_retired = retired_;
    retired_ = owned.release();
  }
  if (!a.armed) drop_retired(a);
}

void multishot_accepts::drop_retired(const acceptor& a) noexcept {
  for (acceptor** at = &retired_; *at; at = &(*at)->next_retired) {
    if (*at != &a) continue;
    delete std::exchange(*at, a.next_retired);
    return;
  }
}

void multishot_accepts::on_completion(acceptor& a, int result, bool more) {
  if (!more) a.armed = false;
  op_record* taker = nullptr;
  if (a.retired) {
    if (result >= 0) ::close(result);
  } else if (result == -EINVAL && !more && a.ready.empty()) {
    // This kernel has no multishot accept after all: plain accepts from now on.
    available = false;
    for (op_record* w : a.waiters) owner_.accept_once(*w, a.fd);
    a.waiters.clear();
  } else if (!a.waiters.empty()) {
    taker = a.waiters.front();
    a.waiters.pop_front();
  } else if (result >= 0) {
    try {
      a.ready.push_back(result);
    } catch (...) {
      ::close(result);  // out of memory: the connection is refused, the loop goes on
    }
  }
  if (a.retired && !a.armed) {
    drop_retired(a);  // a is gone
  } else if (!a.retired && !a.armed && !a.waiters.empty()) {
    arm(a);
  }
  if (taker) owner_.resume(*taker, result);
}

}  // namespace switchyard::backends::io_uring
