// The part of every I/O backend's loop that is the same: the queue of posted
// callbacks and the wake-up eventfd that post() writes to.
#include <switchyard/io/detail/loop.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

namespace switchyard::io::detail {
namespace {

/// post(std::function): the loop owns the node from its posting on.
struct function_call final : posted_call {
  explicit function_call(std::function<void()> f) : fn(std::move(f)) {
    act = [](posted_call& c, action a) {
      const std::unique_ptr<function_call> self(static_cast<function_call*>(&c));
      if (a == action::run) self->fn();
    };
  }
  std::function<void()> fn;
};

}  // namespace

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

void loop::post(std::function<void()> fn) { post(*new function_call(std::move(fn))); }

void loop::run_posted() {
  posted_call* c = nullptr;
  {
    std::lock_guard lock(posted_m_);
    c = std::exchange(posted_head_, nullptr);
    posted_tail_ = nullptr;
  }
  while (c) {
    posted_call* const next = c->next;  // read first: running c may post it again
    try {
      c->act(*c, posted_call::action::run);
    } catch (...) {
      // The rest go back to the front, ahead of what was posted meanwhile.
      if (next) {
        posted_call* last = next;
        while (last->next) last = last->next;
        std::lock_guard lock(posted_m_);
        last->next = posted_head_;
        posted_head_ = next;
        if (!posted_tail_) posted_tail_ = last;
      }
      throw;
    }
    c = next;
  }
}

void loop::wake() noexcept {
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow, and then a wake-up is pending anyway.
  [[maybe_unused]] const auto ignored = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace switchyard::io::detail
