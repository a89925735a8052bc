// The part of every I/O backend's loop that is the same: the queue of posted
// callbacks and the wake-up eventfd that post() writes to.
#include <switchyard/io/detail/loop.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace switchyard::io::detail {

loop::loop(int wake_flags) : wake_fd_(::eventfd(0, EFD_CLOEXEC | wake_flags)) {
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd for the I/O loop's wake-ups");
}

loop::~loop() {
  // Under the post lock: a post() that has queued its callback may still be
  // writing to the eventfd.
  std::lock_guard lock(posted_m_);
  for (posted_call* c = posted_head_; c;) {
    posted_call* const next = c->next;
    c->act(*c, posted_call::action::drop);
    c = next;
  }
  ::close(wake_fd_);
}

void loop::run_posted() {
  {
    std::lock_guard lock(posted_m_);
    running_ = std::exchange(posted_head_, nullptr);
    posted_tail_ = nullptr;
  }
  while (posted_call* const c = running_) {
    running_ = c->next;  // first: running c may post it again, or withdraw what follows
    try {
      c->act(*c, posted_call::action::run);
    } catch (...) {
      // The rest go back to the front, ahead of what was posted meanwhile.
      if (posted_call* const rest = std::exchange(running_, nullptr)) {
        posted_call* last = rest;
        while (last->next) last = last->next;
        std::lock_guard lock(posted_m_);
        last->next = posted_head_;
        posted_head_ = rest;
        if (!posted_tail_) posted_tail_ = last;
      }
      throw;
    }
  }
}

bool loop::withdraw(posted_call& c) noexcept {
  for (posted_call** at = &running_; *at; at = &(*at)->next) {
    if (*at != &c) continue;
    *at = c.next;
    return true;
  }
  std::lock_guard lock(posted_m_);
  posted_call* before = nullptr;
  for (posted_call* at = posted_head_; at; before = at, at = at->next) {
    if (at != &c) continue;
    (before ? before->next : posted_head_) = c.next;
    if (posted_tail_ == &c) posted_tail_ = before;
    return true;
  }
  return false;
}

void loop::wake() noexcept {
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow, and then a wake-up is pending anyway.
  [[maybe_unused]] const auto ignored = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace switchyard::io::detail
