// epoll + thread pool + timer heap behind the io::detail::loop interface.
#include "backends/io_fallback/fallback_loop.hpp"

#include "core/src/io/blocking_pool.hpp"

#include <switchyard/io/detail/timer_queue.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>
#include <functional>
#include <memory>
#include <string>
#include <map>
#include <mutex>
#include <system_error>
#include <vector>

namespace switchyard::backends::io_fallback {
namespace {

static_assert(POLLIN == EPOLLIN && POLLOUT == EPOLLOUT, "a poll request's mask is used as epoll events");

using io::detail::op_kind;
using io::detail::op_record;
using io::detail::op_request;
using io::detail::deadline_after;
using clock = std::chrono::steady_clock;

/// Where a pool thread delivers a result: the loop while it lives, nothing
/// after (a descriptor an abandoned open returns is closed instead).
class fallback_loop;
struct file_results {
  explicit file_results(fallback_loop* l) : loop(l) {}
  std::mutex m;
  fallback_loop* loop;
};

class fallback_loop final : public io::detail::loop {
 public:
  explicit fallback_loop(std::string why)
      : loop(EFD_NONBLOCK), why_(std::move(why)), pool_(std::make_unique<io::detail::blocking_pool>(4)) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::system_error(errno, std::generic_category(), "fallback loop");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd();
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_fd(), &ev);
  }
  ~fallback_loop() override {
    // File calls still wanted post to us: wait for them before closing.
    while (!files_.empty()) {
      run_posted_blocking();
    }
    {
      std::lock_guard lock(results_->m);
      results_->loop = nullptr;
    }
    run_posted();  // an abandoned open's late result: its descriptor is closed
    pool_.reset();
    ::close(epoll_);
  }

  void begin(op_record& rec, const op_request& r) override {
    switch (r.kind) {
      case op_kind::read:
      case op_kind::write:
      case op_kind::fsync:
      case op_kind::open:
      case op_kind::close:
        return start_file(rec, r);
      case op_kind::sleep:
        timers_.add(rec, deadline_after(clock::now(), r.duration));
        return;
      case op_kind::shutdown:
        return complete_soon(rec, ::shutdown(r.fd, r.flags) == 0 ? 0 : -errno);
      case op_kind::connect: {
        set_nonblocking(r.fd);
        if (::connect(r.fd, r.address, r.address_length) == 0) return complete_soon(rec, 0);
        if (errno != EINPROGRESS) return complete_soon(rec, -errno);
        return wait_for(rec, r, EPOLLOUT);
      }
      case op_kind::poll:
        if (const long res = attempt(r); res != -EAGAIN) return complete_soon(rec, res);
        return wait_for(rec, r, static_cast<std::uint32_t>(r.flags));  // POLLIN, POLLOUT: EPOLLIN, EPOLLOUT
      case op_kind::accept:
      case op_kind::send:
      case op_kind::recv:
        set_nonblocking(r.fd);
        if (const long res = attempt(r); res != -EAGAIN) return complete_soon(rec, res);
        return wait_for(rec, r, r.kind == op_kind::send ? EPOLLOUT : EPOLLIN);
    }
  }

  /// The descriptor is about to close: what waits on it ends cancelled, as
  /// on io_uring (epoll never reports a closed descriptor again, so a waiter
  /// left here would wait for good). Resumed on the loop's next turn: the
  /// caller is a coroutine closing it, or a destructor.
  void forget_fd(int fd) noexcept override {
    const auto it = waiting_.find(fd);
    if (it == waiting_.end()) return;
    const std::vector<waiter> ws = std::move(it->second);
    waiting_.erase(it);
    update_interest(fd);  // deregisters it
    for (const waiter& w : ws) {
      waiting_on_.erase(w.rec);
      complete_soon(*w.rec, -ECANCELED);
    }
  }

  // Found through the indexes, not by a scan: when_all cancelling 20,000
  // sleepers took 1.5 s, quadratic in their number.
  void end_early(op_record& rec) override {
    if (timers_.remove(rec)) return complete(rec, -ECANCELED);
    if (const auto f = waiting_on_.find(&rec); f != waiting_on_.end()) {
      const int fd = f->second;
      waiting_on_.erase(f);
      if (const auto it = waiting_.find(fd); it != waiting_.end()) {
        auto& ws = it->second;
        const auto w = std::find_if(ws.begin(), ws.end(), [&](const waiter& x) { return x.rec == &rec; });
        if (w != ws.end()) {
          ws.erase(w);
          update_interest(fd);
          return complete(rec, -ECANCELED);
        }
      }
    }
    // A file call on a thread cannot be interrupted. An open may block for
    // good (a FIFO with no writer): it is abandoned and the operation ends
    // now. Reads, writes, fsync and close end on their own; they complete.
    if (const auto f = files_.find(&rec); f != files_.end() && f->second.kind == op_kind::open) {
      pool_->abandon(f->second.job);
      files_.erase(f);
      complete(rec, -ECANCELED);
    }
  }

  std::string_view name() const noexcept override { return "fallback"; }
  std::string_view reason() const noexcept override { return why_; }

 private:
  struct file_call {
    op_kind kind;
    std::uint64_t id;
    std::shared_ptr<io::detail::blocking_pool::job> job;
  };

  struct waiter {
    op_record* rec;
    op_request req;
    std::uint32_t events;
    clock::time_point deadline;  // max(): none
  };

  static void set_nonblocking(int fd) {
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK)) ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  }

  /// One try that does not block. A signal handler run meanwhile ends a
  /// poll of no timeout with EINTR: that is no result, so it tries again
  /// (the HTTP client took it for an error on the socket).
  static long attempt(const op_request& r) {
    long res;
    do res = attempt_once(r);
    while (res == -EINTR);
    return res;
  }

  static long attempt_once(const op_request& r) {
    long res;
    switch (r.kind) {
      case op_kind::accept: res = ::accept4(r.fd, nullptr, nullptr, SOCK_CLOEXEC); break;
      case op_kind::send: res = ::send(r.fd, r.buffer, r.length, MSG_NOSIGNAL | MSG_DONTWAIT); break;
      case op_kind::recv: res = ::recv(r.fd, r.buffer, r.length, MSG_DONTWAIT); break;
      case op_kind::poll: {
        pollfd p{r.fd, static_cast<short>(r.flags), 0};
        const int n = ::poll(&p, 1, 0);
        if (n < 0) return -errno;
        return n == 0 ? -EAGAIN : p.revents;
      }
      case op_kind::connect: {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(r.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        return -err;
      }
      default: return -EINVAL;
    }
    if (res >= 0) return res;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  }

  /// A pool thread's result on its way back: made here before the call
  /// starts, so that the thread's post of it cannot fail.
  struct file_result final : io::detail::posted_call {
    file_result(fallback_loop* l, op_record* r, std::uint64_t i, op_kind k) : self(l), rec(r), id(i), kind(k) {
      act = [](posted_call& c, action a) {
        const std::unique_ptr<file_result> f(static_cast<file_result*>(&c));
        if (a == action::run) f->self->file_done(*f->rec, f->id, f->kind, f->res);
      };
    }
    fallback_loop* self;
    op_record* rec;
    std::uint64_t id;
    op_kind kind;
    long res = 0;
  };

  // The result goes back through results_, which outlives the loop; the
  // path is copied, since an abandoned open may start after its caller is gone.
  void start_file(op_record& rec, const op_request& r) {
    const std::uint64_t id = ++file_calls_;
    auto result = std::make_unique<file_result>(this, &rec, id, r.kind);
    auto call = [results = results_, done = result.get(), r, path = std::string(r.kind == op_kind::open ? r.path : "")] {
      long res = 0;
      // A signal handler run on this thread interrupts a call that blocks
      // (an open of a FIFO, a read of a pipe): the call is made again, as
      // SA_RESTART would, except close, whose descriptor Linux has released.
      do {
        switch (r.kind) {
          // A pipe, FIFO or terminal has no offsets (ESPIPE): its bytes come
          // in order, the offset ignored, as on io_uring.
          case op_kind::read:
            res = ::pread(r.fd, r.buffer, r.length, static_cast<off_t>(r.offset));
            if (res < 0 && errno == ESPIPE) res = ::read(r.fd, r.buffer, r.length);
            break;
          case op_kind::write:
            res = ::pwrite(r.fd, r.buffer, r.length, static_cast<off_t>(r.offset));
            if (res < 0 && errno == ESPIPE) res = ::write(r.fd, r.buffer, r.length);
            break;
          case op_kind::fsync: res = ::fsync(r.fd); break;
          case op_kind::open: res = ::open(path.c_str(), r.flags | O_CLOEXEC, r.mode); break;
          case op_kind::close: res = ::close(r.fd); break;
          default: res = -EINVAL; errno = EINVAL; break;
        }
      } while (res < 0 && errno == EINTR && r.kind != op_kind::close);
      if (res < 0) res = -errno;
      std::lock_guard lock(results->m);
      if (results->loop == nullptr) {
        if (r.kind == op_kind::open && res >= 0) ::close(static_cast<int>(res));
        delete done;
        return;
      }
      done->res = res;
      results->loop->post(*done);
    };
    auto job = pool_->submit(std::move(call));
    (void)result.release();  // the call owns it now
    files_[&rec] = {r.kind, id, std::move(job)};
  }

  /// A pool thread's result, on the loop's thread: completes call `id`,
  /// unless it was abandoned (then a descriptor it opened is closed; `rec`
  /// may by now be another operation's record).
  void file_done(op_record& rec, std::uint64_t id, op_kind kind, long res) {
    const auto f = files_.find(&rec);
    if (f == files_.end() || f->second.id != id) {
      if (kind == op_kind::open && res >= 0) ::close(static_cast<int>(res));
      return;
    }
    files_.erase(f);
    complete(rec, res);
  }

  // Out of memory, nothing is kept: a waiter left behind by a wait_for()
  // that threw was resumed later through a record its caller had dropped.
  void wait_for(op_record& rec, const op_request& r, std::uint32_t events) {
    const auto deadline = r.timeout.count() > 0 ? deadline_after(clock::now(), r.timeout) : clock::time_point::max();
    std::vector<waiter>& ws = waiting_[r.fd];
    try {
      ws.push_back({&rec, r, events, deadline});
      waiting_on_.emplace(&rec, r.fd);
    } catch (...) {
      if (!ws.empty() && ws.back().rec == &rec) ws.pop_back();
      if (ws.empty()) waiting_.erase(r.fd);
      throw;
    }
    update_interest(r.fd);
  }

  /// fd's interest in the epoll set made what its waiters want: in the set
  /// while it has any. Keeps no state of its own (and so cannot fail): a
  /// descriptor new to the set is added, and one already in it is changed
  /// when the add says it exists.
  void update_interest(int fd) noexcept {
    auto it = waiting_.find(fd);
    std::uint32_t events = 0;
    if (it != waiting_.end()) {
      for (const waiter& w : it->second) events |= w.events;
    }
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (events == 0) {
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);  // ENOENT where it was never in
      if (it != waiting_.end()) waiting_.erase(it);
    } else if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST) {
      ::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
    }
  }

  void run_posted_blocking() {
    pollfd p{wake_fd(), POLLIN, 0};
    ::poll(&p, 1, 10);
    std::uint64_t n;
    [[maybe_unused]] const auto ignored = ::read(wake_fd(), &n, sizeof n);
    run_posted();
  }

  /// The earliest deadline among timers and timed socket waits.
  clock::time_point next_deadline() const {
    clock::time_point t = timers_.next();
    for (const auto& [fd, ws] : waiting_) {
      for (const waiter& w : ws) t = std::min(t, w.deadline);
    }
    return t;
  }

  void expire_timers() override {
    const auto now = clock::now();
    timers_.expire(now, [this](op_record& rec) { complete(rec, -ETIME); });
    // Socket waits past their deadline end on the next turn (complete_soon):
    // nothing resumes inside this walk, and nothing here allocates.
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      const int fd = it->first;
      std::vector<waiter>& ws = it->second;
      const std::size_t before = ws.size();
      std::erase_if(ws, [&](const waiter& w) {
        if (w.deadline > now) return false;
        waiting_on_.erase(w.rec);
        complete_soon(*w.rec, -ECANCELED);  // with a timeout set and no cancel: a timeout_error
        return true;
      });
      const bool changed = ws.size() != before;
      ++it;  // first: update_interest may erase fd's entry
      if (changed) update_interest(fd);
    }
  }

  void wait() override {
    const auto deadline = next_deadline();
    int timeout_ms = -1;
    if (deadline != clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count() + 1;
      timeout_ms = static_cast<int>(std::clamp<long long>(left, 0, 1'000'000));
    }
    epoll_event events[64];
    // A signal ends the wait (n < 0, EINTR): run_until comes back with the
    // time left. Made again here with the same timeout, a wait under a
    // timer that fires more often than it would never end.
    const int n = ::epoll_wait(epoll_, events, 64, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd()) {
        std::uint64_t count;
        [[maybe_unused]] const auto ignored = ::read(wake_fd(), &count, sizeof count);
        continue;
      }
      retry(fd, events[i].events);
    }
  }

  /// fd is ready: retry the operations waiting on it; those that no longer
  /// would block complete on the next turn (complete_soon), so that none
  /// resumes inside this walk, and a result taken from the kernel (bytes
  /// received) never waits on an allocation that could lose it.
  void retry(int fd, std::uint32_t ready) noexcept {
    auto it = waiting_.find(fd);
    if (it == waiting_.end()) return;
    auto& ws = it->second;
    for (auto w = ws.begin(); w != ws.end();) {
      const bool relevant = (w->events & ready) || (ready & (EPOLLERR | EPOLLHUP));
      const long res = relevant ? attempt(w->req) : -EAGAIN;
      if (res == -EAGAIN) {
        ++w;
        continue;
      }
      waiting_on_.erase(w->rec);
      complete_soon(*w->rec, res);
      w = ws.erase(w);
    }
    update_interest(fd);
  }

  std::string why_;
  int epoll_ = -1;
  std::unordered_map<op_record*, file_call> files_;  // the file calls still wanted
  std::uint64_t file_calls_ = 0;                     // their ids
  std::shared_ptr<file_results> results_ = std::make_shared<file_results>(this);
  io::detail::timer_queue timers_;  // the sleeps
  std::map<int, std::vector<waiter>> waiting_;
  std::unordered_map<op_record*, int> waiting_on_;  // the descriptor each socket waiter waits on
  std::unique_ptr<io::detail::blocking_pool> pool_;
};

}  // namespace

std::unique_ptr<io::detail::loop> make_loop(std::string why) { return std::make_unique<fallback_loop>(std::move(why)); }

}  // namespace switchyard::backends::io_fallback
