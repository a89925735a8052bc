// io_uring loop: user operations carry their op_record's address as
// user_data; the loop's own requests (cancels, linked timeouts, the wake-up
// read) carry small tags that can never be a record's address, so an
// internal completion is never taken for a user operation. Other addresses
// carry their kind in the low bits (every object here is 8-aligned): an
// acceptor (1), the hop record of a coroutine another ring sent here (2), a
// hop whose message could not be sent (3).
#include "backends/io_uring/uring_loop.hpp"

#include "backends/io_uring/multishot_accepts.hpp"
#include "backends/io_uring/provided_buffers.hpp"

#include <switchyard/io/detail/timer_queue.hpp>

#include "kernels/common/sanitizers.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <algorithm>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace switchyard::backends::io_uring {
namespace {

// A coroutine sent from ring to ring, and a ring's memory mapped again for
// another thread, cross threads through the kernel (io_uring_enter is a
// barrier, the other ring's tail is read with acquire; munmap and mmap),
// where ThreadSanitizer cannot see it: it is told.
using kernels::tsan_handing_over;
using kernels::tsan_taking_over;

/// liburing maps and unmaps a ring with its own system calls: a ring mapped
/// where another thread's ring was would look to ThreadSanitizer like memory
/// the two threads share. Each page of a ring is handed over when the ring
/// goes and taken over when one is mapped.
void each_page_of(const ::io_uring& ring, void (*hand)(void*) noexcept) noexcept {
#if SWITCHYARD_THREAD_SANITIZED
  const auto pages = [hand](void* p, std::size_t bytes) {
    for (std::size_t off = 0; off < bytes; off += 4096) hand(static_cast<char*>(p) + off);
  };
  pages(ring.sq.sqes, ring.sq.ring_entries * sizeof(::io_uring_sqe));
  pages(ring.sq.ring_ptr, ring.sq.ring_sz);
  if (ring.cq.ring_ptr != ring.sq.ring_ptr) pages(ring.cq.ring_ptr, ring.cq.ring_sz);
#else
  (void)ring;
  (void)hand;
#endif
}

using io::detail::op_kind;
using io::detail::op_record;

/// A submission's length field has 32 bits: a longer transfer is submitted
/// as Linux's read, write and send would do it, at most MAX_RW_COUNT
/// (2 GiB less a page) at once, and completes short; read_exact_at,
/// write_all_at and send_all go on from there, as on the fallback.
constexpr std::size_t max_transfer = 0x7ffff000;
unsigned transfer_length(std::size_t length) noexcept {
  return static_cast<unsigned>(std::min(length, max_transfer));
}
using io::detail::op_request;
using io::detail::deadline_after;
using clock = std::chrono::steady_clock;

constexpr std::uint64_t tag_internal = 1;  // cancels and linked timeouts: nothing to resume
constexpr std::uint64_t tag_wake = 2;      // the eventfd read that post() completes
constexpr std::uint64_t kind_bits = 7;
constexpr std::uint64_t kind_acceptor = 1;
constexpr std::uint64_t kind_arrival = 2;     // a hop_record to resume here (a message's user_data)
constexpr std::uint64_t kind_failed_hop = 3;  // our message was refused: post the hop instead

__kernel_timespec to_timespec(std::chrono::nanoseconds d) {
  const auto ns = std::max<std::int64_t>(d.count(), 0);
  return {ns / 1'000'000'000, ns % 1'000'000'000};
}

class uring_loop final : public io::detail::loop, private multishot_accepts::owner {
 public:
  explicit uring_loop(::io_uring ring) : loop(0), ring_(ring) {}
  ~uring_loop() override {
    if (wake_armed_) cancel_internal(tag_wake);
    accepts_.retire_all();
    // Drain every internal request, so that no buffer of ours is written after.
    while (internal_ > 0) reap();
    buffers_.reset();  // the kernel lets go of them before their memory goes
    each_page_of(ring_, tsan_handing_over);
    ::io_uring_queue_exit(&ring_);
  }

  void begin(op_record& rec, const op_request& r) override {
    if (r.kind == op_kind::accept && r.timeout.count() == 0 && accepts_.available) return accepts_.take(rec, r.fd);
    // Sleeps are kept here, not as the kernel's timeouts: the kernel finds a
    // timeout to cancel by walking its list of them, and when_all cancelling
    // 20,000 sleepers took 2.7 s. Here a cancel is a lookup; the ring waits
    // no longer than the earliest of them (wait()).
    if (r.kind == op_kind::sleep) {
      timers_.add(rec, deadline_after(clock::now(), r.duration));
      return;
    }
    rec.scratch[slot_deadline] =
        r.timeout.count() > 0 ? static_cast<std::uint64_t>(deadline_after(clock::now(), r.timeout).time_since_epoch().count()) : 0;
    rec.scratch[slot_resubmits] = 0;
    submit_request(rec, r, true);
  }

  void end_early(op_record& rec) override {
    if (timers_.remove(rec)) return complete(rec, -ECANCELED);
    if (accepts_.cancel(rec)) return;
    ::io_uring_sqe* sqe = sqe_for(1);
    ::io_uring_prep_cancel(sqe, &rec, 0);
    ::io_uring_sqe_set_data64(sqe, tag_internal);
    ++internal_;
  }

  /// To another ring: a message carrying the coroutine, sent with this
  /// ring's next submission; success posts nothing here (CQE_SKIP_SUCCESS),
  /// a refusal (the other ring's queue full) comes back and is posted.
  void hop(io::detail::hop_record& rec) override {
    const int to = rec.to->message_fd();
    if (!messages_ || to < 0) return loop::hop(rec);
    ::io_uring_sqe* sqe = sqe_for(1);
    ::io_uring_prep_msg_ring(sqe, to, 0, reinterpret_cast<std::uint64_t>(&rec) | kind_arrival, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    ::io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uint64_t>(&rec) | kind_failed_hop);
    tsan_handing_over(&rec);  // after the last look at the record (in the frame) from this thread
  }

  int message_fd() const noexcept override { return messages_ ? ring_.ring_fd : -1; }

  std::string_view name() const noexcept override { return "io_uring"; }
  std::string_view reason() const noexcept override { return reason_; }

  void forget_fd(int fd) noexcept override {
    if (fd < 0) return;
    try {
      if (static_cast<std::size_t>(fd) >= closes_.size()) closes_.resize(static_cast<std::size_t>(fd) + 1);
      ++closes_[fd];
    } catch (...) {
      // No memory for the count: from now on no operation on a descriptor
      // is submitted again, lest one this close cancels be taken for one
      // the kernel ended unasked, and run on a number that may by then
      // name another file.
      closes_untold_ = true;
    }
    if (static_cast<std::size_t>(fd) < fixed_.size() && fixed_[fd]) {
      // The kernel's table holds a reference: without this the close would not close.
      int none = -1;
      if (::io_uring_register_files_update(&ring_, static_cast<unsigned>(fd), &none, 1) == 1) fixed_[fd] = false;
    }
    accepts_.forget(fd);
    if (cancel_by_fd_) cancel_everything_on(fd);
  }

  std::string reason_;
  bool messages_ = false;  // IORING_OP_MSG_RING with IOSQE_CQE_SKIP_SUCCESS (Linux 5.18)
  bool cancel_by_fd_ = false;  // IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL (Linux 5.19)
  void set_multishot_accept(bool has) noexcept { accepts_.available = has; }

  /// Registers what this kernel has: a provided buffer ring for receives and
  /// a sparse table of registered files. Says which, for reason_.
  std::string register_resources() {
    std::string have;
    buffers_ = provided_buffers::try_register(ring_);
    if (buffers_) have = "provided buffer ring for recv";
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    const auto slots = static_cast<unsigned>(std::min<rlim_t>(files.rlim_cur, fixed_file_slots));
    if (slots > 0 && ::io_uring_register_files_sparse(&ring_, slots) == 0) {
      fixed_.assign(slots, false);
      have += std::string(have.empty() ? "" : ", ") + "registered files";
    }
    return have;
  }

 private:
  void wait() override {
    if (!wake_armed_) arm_wake();
    reap(timers_.next());
  }

  void expire_timers() override {
    timers_.expire(clock::now(), [this](op_record& rec) { complete(rec, -ETIME); });
  }

  /// Descriptors below this are registered in the kernel's file table on
  /// their first operation, in the slot of their own number: the kernel then
  /// skips looking the descriptor up and counting references per operation.
  static constexpr unsigned fixed_file_slots = 4096;

  /// sqe uses r.fd from the registered table, registering it first if need be.
  void use_fixed_file(::io_uring_sqe* sqe, const op_request& r) {
    // A polled descriptor belongs to someone else (curl), who closes it
    // without telling the loop: registered, it would stay open.
    if (r.kind == op_kind::open || r.kind == op_kind::close || r.kind == op_kind::sleep || r.kind == op_kind::poll) {
      return;
    }
    if (r.fd < 0 || static_cast<std::size_t>(r.fd) >= fixed_.size()) return;
    if (!fixed_[r.fd]) {
      int fd = r.fd;
      if (::io_uring_register_files_update(&ring_, static_cast<unsigned>(fd), &fd, 1) != 1) return;
      fixed_[r.fd] = true;
    }
    sqe->flags |= IOSQE_FIXED_FILE;  // sqe->fd is the slot: the same number
  }

  void link_timeout(::io_uring_sqe* sqe, __kernel_timespec* ts) {
    sqe->flags |= IOSQE_IO_LINK;
    ::io_uring_sqe* t = ::io_uring_get_sqe(&ring_);  // sqe_for(2) left room for it
    ::io_uring_prep_link_timeout(t, ts, 0);
    ::io_uring_sqe_set_data64(t, tag_internal);
    ++internal_;
  }

  /// rec's words of scratch: the linked timeout's timespec (two words), the
  /// deadline (steady_clock ticks; 0: none), its descriptor's close count
  /// when submitted, and how often it was submitted again.
  static constexpr std::size_t slot_timespec = 0, slot_deadline = 2, slot_closes = 3, slot_resubmits = 4;

  /// The kernel ends a request -ECANCELED unasked when it cannot start an
  /// io-wq thread for it: a fork fails while a signal is pending, and
  /// Linux gives up after three tries. A program's interval timer (a
  /// profiler's, say) makes that likely. The request never ran, and is
  /// submitted again, up to this many times; then it fails with EAGAIN, as
  /// the fork did.
  static constexpr std::uint64_t max_resubmits = 100;

  /// Puts r in the submission queue for rec, with a linked timeout for the
  /// time left to rec's deadline. A recv takes a provided buffer when the
  /// ring has them and `may_take_buffer`.
  void submit_request(op_record& rec, const op_request& r, bool may_take_buffer) {
    const bool linked = rec.scratch[slot_deadline] != 0;
    ::io_uring_sqe* sqe = sqe_for(linked ? 2 : 1);
    switch (r.kind) {
      case op_kind::read: ::io_uring_prep_read(sqe, r.fd, r.buffer, transfer_length(r.length), r.offset); break;
      case op_kind::write: ::io_uring_prep_write(sqe, r.fd, r.buffer, transfer_length(r.length), r.offset); break;
      case op_kind::fsync: ::io_uring_prep_fsync(sqe, r.fd, 0); break;
      case op_kind::open: ::io_uring_prep_openat(sqe, AT_FDCWD, r.path, r.flags | O_CLOEXEC, r.mode); break;
      case op_kind::close: ::io_uring_prep_close(sqe, r.fd); break;
      case op_kind::accept: ::io_uring_prep_accept(sqe, r.fd, nullptr, nullptr, SOCK_CLOEXEC); break;
      case op_kind::connect: ::io_uring_prep_connect(sqe, r.fd, r.address, r.address_length); break;
      case op_kind::send: ::io_uring_prep_send(sqe, r.fd, r.buffer, transfer_length(r.length), MSG_NOSIGNAL); break;
      case op_kind::recv: prep_recv(sqe, r, may_take_buffer); break;
      case op_kind::shutdown: ::io_uring_prep_shutdown(sqe, r.fd, r.flags); break;
      case op_kind::sleep: break;  // kept in timers_ (begin())
      case op_kind::poll: ::io_uring_prep_poll_add(sqe, r.fd, static_cast<unsigned>(r.flags)); break;
    }
    ::io_uring_sqe_set_data(sqe, &rec);
    use_fixed_file(sqe, r);
    rec.scratch[slot_closes] = closes_of(r.fd);
    if (linked) {
      auto* ts = reinterpret_cast<__kernel_timespec*>(rec.scratch + slot_timespec);
      *ts = to_timespec(clock::time_point(clock::duration(rec.scratch[slot_deadline])) - clock::now());
      link_timeout(sqe, ts);
    }
  }

  /// A recv of at most 1 GiB at once (the kernel's length is 32 bits), into
  /// a provided buffer where it may take one.
  void prep_recv(::io_uring_sqe* sqe, const op_request& r, bool may_take_buffer) {
    const auto length = static_cast<unsigned>(std::min<std::size_t>(r.length, 1u << 30));
    if (!buffers_ || !may_take_buffer || length == 0) return ::io_uring_prep_recv(sqe, r.fd, r.buffer, length, 0);
    ::io_uring_prep_recv(sqe, r.fd, nullptr, std::min(length, provided_buffers::bytes), 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = provided_buffers::group;
  }

  /// Submits rec's request again, unless its deadline has passed (then it
  /// ends as its linked timeout would have ended it).
  void submit_again(op_record& rec, bool may_take_buffer) {
    const std::uint64_t deadline = rec.scratch[slot_deadline];
    if (deadline != 0 && clock::now().time_since_epoch().count() >= static_cast<clock::rep>(deadline)) {
      return complete(rec, -ECANCELED);
    }
    submit_request(rec, *rec.request, may_take_buffer);
  }

  /// Whether an -ECANCELED came unasked: nobody cancelled the operation, and
  /// its descriptor was not closed under it (forget_fd cancels what waits).
  bool cancelled_unasked(const op_record& rec) const noexcept {
    const int fd = rec.request->fd;
    return !rec.cancel_asked && (fd < 0 || (!closes_untold_ && closes_of(fd) == rec.scratch[slot_closes]));
  }

  std::uint32_t closes_of(int fd) const noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < closes_.size() ? closes_[fd] : 0;
  }

  /// A user operation's completion: copies a provided buffer's bytes out and
  /// returns the buffer; receives again in place a recv the ring had no
  /// buffer for (-ENOBUFS), and submits again what the kernel ended unasked.
  void finish(op_record& rec, int res, std::uint32_t flags) {
    if (flags & IORING_CQE_F_BUFFER) {
      const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
      if (res > 0) std::memcpy(rec.request->buffer, buffers_->data(id), static_cast<std::size_t>(res));
      buffers_->give_back(id);
    } else if (res == -ENOBUFS && buffers_) {
      return submit_again(rec, false);
    } else if (res == -ECANCELED && cancelled_unasked(rec)) {
      // One more try was enough in every case seen (a 20 kHz timer).
      if (++rec.scratch[slot_resubmits] > max_resubmits) return complete(rec, -EAGAIN);
      return submit_again(rec, true);
    }
    complete(rec, res);
  }

  // multishot_accepts::owner: an acceptor's request carries its address,
  // tagged kind_acceptor.
  static std::uint64_t tag_of(multishot_accepts::acceptor* a) {
    return reinterpret_cast<std::uint64_t>(a) | kind_acceptor;
  }
  void arm(multishot_accepts::acceptor& a) override {
    ::io_uring_sqe* sqe = sqe_for(1);
    ::io_uring_prep_multishot_accept(sqe, a.fd, nullptr, nullptr, SOCK_CLOEXEC);
    ::io_uring_sqe_set_data64(sqe, tag_of(&a));
    use_fixed_file(sqe, op_request{op_kind::accept, a.fd});
    ++internal_;
  }
  void disarm(multishot_accepts::acceptor& a) override { cancel_internal(tag_of(&a)); }
  void accept_once(op_record& rec, int fd) override { begin(rec, op_request{op_kind::accept, fd}); }
  void resume(op_record& rec, int result) override { complete(rec, result); }
  void resume_soon(op_record& rec, int result) noexcept override { complete_soon(rec, result); }

  /// What waits on descriptor fd ends cancelled (-ECANCELED): its
  /// requests hold the file open, so closing the descriptor alone would not
  /// end them. Submitted now, while fd still names the file the kernel
  /// matches them by.
  void cancel_everything_on(int fd) noexcept {
    try {
      ::io_uring_sqe* sqe = sqe_for(1);
      ::io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
      ::io_uring_sqe_set_data64(sqe, tag_internal);
      ++internal_;
      submit();
    } catch (...) {
      // No room to submit: the requests end when their peers do, as before.
    }
  }

  void cancel_internal(std::uint64_t target) {
    ::io_uring_sqe* sqe = sqe_for(1);
    ::io_uring_prep_cancel64(sqe, target, 0);
    ::io_uring_sqe_set_data64(sqe, tag_internal);
    ++internal_;
  }

  /// An SQE with room for `count` in a row (a linked pair must go in together).
  ::io_uring_sqe* sqe_for(unsigned count) {
    if (::io_uring_sq_space_left(&ring_) < count) submit();
    ::io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_);
    if (sqe == nullptr) throw std::system_error(EBUSY, std::generic_category(), "io_uring: submission queue full");
    return sqe;
  }

  void submit() {
    int rc;
    do rc = ::io_uring_submit(&ring_);
    while (rc == -EINTR);
    if (rc < 0 && rc != -EBUSY) throw std::system_error(-rc, std::generic_category(), "io_uring_submit");
  }

  void arm_wake() {
    ::io_uring_sqe* sqe = sqe_for(1);
    ::io_uring_prep_read(sqe, wake_fd(), &wake_count_, sizeof wake_count_, 0);
    ::io_uring_sqe_set_data64(sqe, tag_wake);
    ++internal_;
    wake_armed_ = true;
  }


  /// Submits, waits for at least one completion (or until `until`, the
  /// earliest sleep's end, or a signal), and handles every completion there
  /// is. A wait a signal ends is not made again here: the caller comes back
  /// with the time left. (Made again with the same timeout, a sleep of
  /// 200 us under a 20 kHz timer took about 170 ms.)
  void reap(clock::time_point until = clock::time_point::max()) {
    int rc;
    if (until == clock::time_point::max()) {
      rc = ::io_uring_submit_and_wait(&ring_, 1);
    } else {
      __kernel_timespec ts = to_timespec(until - clock::now());
      ::io_uring_cqe* first = nullptr;
      rc = ::io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
    }
    if (rc < 0 && rc != -EBUSY && rc != -ETIME && rc != -EINTR) {
      throw std::system_error(-rc, std::generic_category(), "io_uring_submit_and_wait");
    }
    ::io_uring_cqe* cqe;
    while (::io_uring_peek_cqe(&ring_, &cqe) == 0) {
      const std::uint64_t data = ::io_uring_cqe_get_data64(cqe);
      const int res = cqe->res;
      const std::uint32_t flags = cqe->flags;
      const bool cqe_more = (flags & IORING_CQE_F_MORE) != 0;
      ::io_uring_cqe_seen(&ring_, cqe);
      if (data == tag_internal) {
        --internal_;
      } else if (data == tag_wake) {
        --internal_;
        wake_armed_ = false;
      } else if ((data & kind_bits) == kind_acceptor) {
        if (!cqe_more) --internal_;
        accepts_.on_completion(*reinterpret_cast<multishot_accepts::acceptor*>(data & ~kind_bits), res, cqe_more);
      } else if ((data & kind_bits) == kind_arrival) {
        auto* arrived = reinterpret_cast<io::detail::hop_record*>(data & ~kind_bits);
        tsan_taking_over(arrived);
        schedule(*arrived);
      } else if ((data & kind_bits) == kind_failed_hop) {
        loop::hop(*reinterpret_cast<io::detail::hop_record*>(data & ~kind_bits));
      } else {
        finish(*reinterpret_cast<op_record*>(data), res, flags);
      }
    }
  }

  ::io_uring ring_;
  io::detail::timer_queue timers_;  // the sleeps
  std::uint64_t wake_count_ = 0;
  bool wake_armed_ = false;
  std::size_t internal_ = 0;
  std::unique_ptr<provided_buffers> buffers_;  // null: plain receives
  std::vector<bool> fixed_;                   // by descriptor: registered in the kernel's table
  std::vector<std::uint32_t> closes_;         // by descriptor: how often forget_fd() was told it closes
  bool closes_untold_ = false;                // a close could not be counted
  multishot_accepts accepts_{*this};
};

}  // namespace

std::unique_ptr<io::detail::loop> make_loop(std::string& why_not) {
  ::io_uring ring;
  ::io_uring_params params{};
  // COOP_TASKRUN (Linux 5.19): completions are run when the loop enters the
  // kernel anyway, not by interrupting it; 1.2-1.4x the HTTP request rate
  // here. Older kernels refuse the flag: then without it.
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN;
  params.cq_entries = 4096;
  int rc = ::io_uring_queue_init_params(256, &ring, &params);
  if (rc == -EINVAL) {
    params = {};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = 4096;
    rc = ::io_uring_queue_init_params(256, &ring, &params);
  }
  if (rc < 0) {
    why_not = std::string("io_uring_setup failed: ") + std::strerror(-rc);
    return nullptr;
  }
  each_page_of(ring, tsan_taking_over);
  // Every opcode the loop issues must be there (IORING_OP_SHUTDOWN, say, is
  // Linux 5.11); otherwise the fallback serves the whole context.
  const std::pair<int, const char*> needed[] = {
      {IORING_OP_READ, "READ"},       {IORING_OP_WRITE, "WRITE"},     {IORING_OP_FSYNC, "FSYNC"},
      {IORING_OP_OPENAT, "OPENAT"},   {IORING_OP_CLOSE, "CLOSE"},     {IORING_OP_ACCEPT, "ACCEPT"},
      {IORING_OP_CONNECT, "CONNECT"}, {IORING_OP_SEND, "SEND"},       {IORING_OP_RECV, "RECV"},
      {IORING_OP_SHUTDOWN, "SHUTDOWN"}, {IORING_OP_TIMEOUT, "TIMEOUT"}, {IORING_OP_LINK_TIMEOUT, "LINK_TIMEOUT"},
      {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"}};
  ::io_uring_probe* probe = ::io_uring_get_probe_ring(&ring);
  if (probe == nullptr) {
    ::io_uring_queue_exit(&ring);
    why_not = "io_uring cannot be probed for its operations (Linux 5.6 or later is needed)";
    return nullptr;
  }
  std::string missing;
  for (const auto& [op, name] : needed) {
    if (!::io_uring_opcode_supported(probe, op)) missing += std::string(missing.empty() ? "" : ", ") + "IORING_OP_" + name;
  }
  // Multishot accept and cancelling by descriptor came with Linux 5.19, as
  // IORING_OP_SOCKET did; the probe lists opcodes, not flags, so the one
  // stands for the others (and an EINVAL from the kernel turns multishot off
  // again; a refused cancel changes nothing).
  const bool multishot_accept = ::io_uring_opcode_supported(probe, IORING_OP_SOCKET);
  const bool messages = ::io_uring_opcode_supported(probe, IORING_OP_MSG_RING) && (params.features & IORING_FEAT_CQE_SKIP);
  ::io_uring_free_probe(probe);
  if (!missing.empty()) {
    ::io_uring_queue_exit(&ring);
    why_not = "this kernel's io_uring lacks " + missing;
    return nullptr;
  }
  std::unique_ptr<uring_loop> loop;
  try {
    loop = std::make_unique<uring_loop>(ring);
  } catch (...) {
    ::io_uring_queue_exit(&ring);  // the loop did not come to own it
    throw;
  }
  loop->set_multishot_accept(multishot_accept);
  loop->cancel_by_fd_ = multishot_accept;  // the same kernel (5.19)
  loop->messages_ = messages;
  const std::string registered = loop->register_resources();
  std::string features;
  auto note = [&](bool has, const char* what) {
    if (has) features += std::string(features.empty() ? "" : ", ") + what;
  };
  note(params.features & IORING_FEAT_NODROP, "no dropped completions");
  note(params.flags & IORING_SETUP_COOP_TASKRUN, "cooperative task running");
  note(params.features & IORING_FEAT_FAST_POLL, "fast poll");
  note(params.features & IORING_FEAT_SUBMIT_STABLE, "stable submissions");
  note(multishot_accept, "multishot accept");
  note(messages, "ring-to-ring messages");
  note(!registered.empty(), registered.c_str());
  loop->reason_ = "io_uring is available (" + features + ")";
  return loop;
}

}  // namespace switchyard::backends::io_uring
