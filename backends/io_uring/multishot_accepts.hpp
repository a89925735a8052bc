// Multishot accept (Linux 5.19): one request per listening socket brings
// every connection the kernel accepts on it, so a server's accept() loop
// costs no submission per connection. This keeps what that needs between
// the kernel and the callers: connections accepted that no accept() took
// yet, accept()s waiting for one, and a closing socket's acceptor until the
// kernel's last completion for it. The ring's part (submitting, cancelling,
// resuming) is the loop's, through `owner`.
#pragma once

#include <deque>
#include <map>
#include <memory>

#include <switchyard/io/detail/loop.hpp>

namespace switchyard::backends::io_uring {

class multishot_accepts {
 public:
  /// One listening socket's multishot accept.
  struct acceptor {
    int fd = -1;
    bool armed = false;    // its multishot request is in the kernel
    bool retired = false;  // the socket is closing: close what still arrives
    std::deque<int> ready;
    std::deque<io::detail::op_record*> waiters;
    acceptor* next_retired = nullptr;  // the retired list, through the acceptors
  };

  /// What the loop does for the acceptors.
  class owner {
   public:
    /// Submits a's multishot accept, its completions tagged with a.
    virtual void arm(acceptor& a) = 0;
    /// Cancels a's multishot accept in the kernel.
    virtual void disarm(acceptor& a) = 0;
    /// Submits one plain accept on fd for rec (this kernel has no multishot).
    virtual void accept_once(io::detail::op_record& rec, int fd) = 0;
    virtual void resume(io::detail::op_record& rec, int result) = 0;
    virtual void resume_soon(io::detail::op_record& rec, int result) noexcept = 0;

   protected:
    ~owner() = default;
  };

  explicit multishot_accepts(owner& o) noexcept : owner_(o) {}
  ~multishot_accepts();
  multishot_accepts(const multishot_accepts&) = delete;
  multishot_accepts& operator=(const multishot_accepts&) = delete;

  /// Whether accept() goes through here: this kernel has multishot accept,
  /// as far as is known (set by the probe; an EINVAL from the kernel clears it).
  bool available = false;

  /// rec's accept() on listening descriptor fd: a connection already
  /// accepted, or a wait for the next.
  void take(io::detail::op_record& rec, int fd);
  /// Ends rec cancelled if it waits here; false if it does not.
  bool cancel(io::detail::op_record& rec);
  /// Descriptor fd is closing: its acceptor, if it has one, retires.
  void forget(int fd);
  /// Retires every acceptor (the loop's teardown).
  void retire_all();
  /// A completion of a's multishot accept; `more`: the request goes on.
  void on_completion(acceptor& a, int result, bool more);

 private:
  void arm(acceptor& a);
  void retire(acceptor& a) noexcept;
  void drop_retired(const acceptor& a) noexcept;

  owner& owner_;
  std::map<int, std::unique_ptr<acceptor>> by_fd_;  // by listening descriptor
  // Closed, awaiting their last completion; owned here. A list through the
  // acceptors: retiring one (in a descriptor's noexcept close) allocates
  // nothing, where a vector's growth that failed once left one freed while
  // its request was still in the kernel.
  acceptor* retired_ = nullptr;
};

}  // namespace switchyard::backends::io_uring
