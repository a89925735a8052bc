#include "backends/io_uring/multishot_accepts.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace switchyard::backends::io_uring {

using io::detail::op_record;

void multishot_accepts::take(op_record& rec, int fd) {
  auto& slot = by_fd_[fd];
  if (!slot) {
    slot = std::make_unique<acceptor>();
    slot->fd = fd;
  }
  acceptor& a = *slot;
  if (!a.ready.empty()) {
    const int got = a.ready.front();
    a.ready.pop_front();
    return owner_.resume_soon(rec, got);
  }
  a.waiters.push_back(&rec);
  if (!a.armed) arm(a);
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

void multishot_accepts::forget(int fd) {
  const auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return;
  try {
    retire(*it->second);
  } catch (...) {
    // No room to cancel: its final completion still retires it.
  }
  by_fd_.erase(it);
}

void multishot_accepts::retire_all() {
  for (auto& [fd, a] : by_fd_) retire(*a);
  by_fd_.clear();
}

/// The socket is closing: its waiters end cancelled, connections not yet
/// taken are closed, and the multishot request is cancelled; the acceptor
/// lives on (in retired_) until the kernel's last completion for it.
void multishot_accepts::retire(acceptor& a) {
  a.retired = true;
  for (int fd : a.ready) ::close(fd);
  a.ready.clear();
  for (op_record* w : a.waiters) owner_.resume_soon(*w, -ECANCELED);
  a.waiters.clear();
  if (a.armed) owner_.disarm(a);
  for (auto& [fd, owned] : by_fd_) {
    if (owned.get() == &a) retired_.push_back(std::move(owned));
  }
  if (!a.armed) drop_retired(a);
}

void multishot_accepts::drop_retired(const acceptor& a) {
  std::erase_if(retired_, [&](const auto& r) { return r.get() == &a; });
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
    a.ready.push_back(result);
  }
  if (a.retired && !a.armed) {
    drop_retired(a);  // a is gone
  } else if (!a.retired && !a.armed && !a.waiters.empty()) {
    arm(a);
  }
  if (taker) owner_.resume(*taker, result);
}

}  // namespace switchyard::backends::io_uring
