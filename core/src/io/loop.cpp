// The part of every I/O backend's loop that is the same: the wake-up eventfd
// that post() writes to.
#include <switchyard/io/detail/loop.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace switchyard::io::detail {

loop::loop(int wake_flags) : wake_fd_(::eventfd(0, EFD_CLOEXEC | wake_flags)) {
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd for the I/O loop's wake-ups");
}

loop::~loop() {
  // Under the post lock: a post() that has queued its callback may still be
  // writing to the eventfd.
  std::lock_guard lock(posted_m_);
  ::close(wake_fd_);
}

void loop::wake() noexcept {
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow, and then a wake-up is pending anyway.
  [[maybe_unused]] const auto ignored = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace switchyard::io::detail
