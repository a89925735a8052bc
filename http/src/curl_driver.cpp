#include "curl_driver.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace switchyard::http::detail {
namespace {

using io::detail::op_kind;
using io::detail::op_request;

/// curl_global_init, once per process, before the first multi handle (curl
/// built thread-safe, as Debian's is, makes this safe from any thread).
void init_curl_once() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = ::curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw std::runtime_error(std::string("http: curl_global_init failed: ") + ::curl_easy_strerror(result));
  }
}

short poll_mask(int what) {
  switch (what) {
    case CURL_POLL_IN: return POLLIN;
    case CURL_POLL_OUT: return POLLOUT;
    case CURL_POLL_INOUT: return POLLIN | POLLOUT;
    default: return 0;
  }
}

}  // namespace

curl_driver::curl_driver(io::context& ctx, broken_callback broken, void* owner)
    : ctx_(&ctx), broken_(broken), owner_(owner) {
  init_curl_once();
  renewal_ = callback_op::make(ctx.loop(), &curl_driver::renew, this);
  try {
    open();
  } catch (...) {
    renewal_->release();
    throw;
  }
}

curl_driver::~curl_driver() {
  close();
  renewal_->release();
}

void curl_driver::open() {
  multi_ = ::curl_multi_init();
  if (!multi_) throw std::bad_alloc();  // curl set up, only its memory can fail
  try {
    timer_ = callback_op::make(ctx_->loop(), &curl_driver::timer_due, this);
  } catch (...) {
    ::curl_multi_cleanup(std::exchange(multi_, nullptr));
    throw;
  }
  ::curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &curl_driver::on_socket);
  ::curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  ::curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &curl_driver::on_timer);
  ::curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  for (std::size_t i = 0; i < option_count_; ++i) ::curl_multi_setopt(multi_, options_[i].option, options_[i].value);
}

void curl_driver::close() noexcept {
  if (!multi_) return;
  // curl closes its sockets in cleanup: stop listening to it first, and let
  // the loop end what is still waiting on them.
  ::curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, nullptr);
  ::curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, nullptr);
  timer_wanted_ms_ = -1;
  std::exchange(timer_, nullptr)->release();
  for (auto& [fd, w] : watchers_) {
    w->wanted = 0;
    w->release();
  }
  watchers_.clear();
  unwatched_count_ = 0;
  ::curl_multi_cleanup(std::exchange(multi_, nullptr));
}

void curl_driver::set_multi_option(CURLMoption option, long value) {
  if (option_count_ == options_.size()) throw std::logic_error("http: curl_driver keeps 4 multi options");
  options_[option_count_++] = {option, value};
  if (multi_) ::curl_multi_setopt(multi_, option, value);
}

void curl_driver::renew(void* self, callback_op&, long) {
  auto* d = static_cast<curl_driver*>(self);
  d->broken_(d->owner_);  // each transfer taken out
  d->close();             // made anew by the next add()
}

void curl_driver::add(CURL* easy, transfer_sink* sink) {
  if (!multi_) open();
  ::curl_easy_setopt(easy, CURLOPT_PRIVATE, static_cast<void*>(sink));
  if (const CURLMcode code = ::curl_multi_add_handle(multi_, easy); code != CURLM_OK) {
    if (code == CURLM_OUT_OF_MEMORY) throw std::bad_alloc();
    throw std::runtime_error(std::string("http: curl_multi_add_handle: ") + ::curl_multi_strerror(code));
  }
}

void curl_driver::remove(CURL* easy) noexcept {
  if (multi_) ::curl_multi_remove_handle(multi_, easy);
}

int curl_driver::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
  auto* d = static_cast<curl_driver*>(self);
  try {
    d->watch(fd, what);
    return 0;
  } catch (...) {
    // Out of memory: kept to try again on the next turn. -1 (every transfer
    // of this multi handle fails) only when even that list is full.
    return d->keep_unwatched(fd, what) ? 0 : -1;
  }
}

bool curl_driver::keep_unwatched(curl_socket_t fd, int what) noexcept {
  std::size_t i = 0;
  while (i < unwatched_count_ && unwatched_[i].fd != fd) ++i;
  if (i == unwatched_.size()) return false;
  unwatched_[i] = {fd, what};
  if (i == unwatched_count_) ++unwatched_count_;
  timer_soon();
  return true;
}

void curl_driver::forget_unwatched(curl_socket_t fd) noexcept {
  for (std::size_t i = 0; i < unwatched_count_; ++i) {
    if (unwatched_[i].fd != fd) continue;
    unwatched_[i] = unwatched_[--unwatched_count_];
    return;
  }
}

/// The timer made due on the next turn (for the unwatched sockets).
void curl_driver::timer_soon() noexcept {
  if (!timer_->in_flight()) return timer_->complete_soon(-ETIME);
  try {
    timer_->cancel();  // its callback, seeing sockets unwatched, makes it due
  } catch (...) {
    // It ends when due anyway, and the sweep comes then.
  }
}

/// Each unwatched socket watched now if there is memory, else handed to curl
/// as ready (a read or write that would block tells it so).
void curl_driver::sweep_unwatched() {
  const auto sockets = unwatched_;  // watch() and curl's callbacks change the list
  const std::size_t count = std::exchange(unwatched_count_, 0);
  for (std::size_t i = 0; i < count; ++i) {
    const unwatched u = sockets[i];
    try {
      watch(u.fd, u.what);
      continue;
    } catch (...) {
      if (!keep_unwatched(u.fd, u.what)) continue;
    }
    int events = 0;
    if (u.what == CURL_POLL_IN || u.what == CURL_POLL_INOUT) events |= CURL_CSELECT_IN;
    if (u.what == CURL_POLL_OUT || u.what == CURL_POLL_INOUT) events |= CURL_CSELECT_OUT;
    act(u.fd, events);
  }
}

int curl_driver::on_timer(CURLM*, long timeout_ms, void* self) {
  auto* d = static_cast<curl_driver*>(self);
  d->timer_wanted_ms_ = timeout_ms;
  // A sleep's cancel ends it at once; its callback re-arms it with the new time.
  if (d->timer_->in_flight()) {
    d->timer_->cancel();
  } else if (timeout_ms >= 0) {
    op_request r{op_kind::sleep};
    r.duration = std::chrono::milliseconds(timeout_ms);
    try {
      d->timer_->start(r);
    } catch (...) {
      d->timer_->complete_soon(-ETIME);  // no room for the timer: see timer_due
    }
  }
  return 0;
}

void curl_driver::timer_due(void* self, callback_op& op, long result) {
  auto* d = static_cast<curl_driver*>(self);
  if (result == -ECANCELED) {
    if (d->unwatched_count_ > 0 && !op.in_flight()) return op.complete_soon(-ETIME);
    if (d->timer_wanted_ms_ >= 0 && !op.in_flight()) {
      op_request r{op_kind::sleep};
      r.duration = std::chrono::milliseconds(d->timer_wanted_ms_);
      try {
        op.start(r);
      } catch (...) {
        // No room for the timer (out of memory): curl is called on the next
        // turn instead, as if it were due, and says again when it wants to
        // be. Left idle, a timer curl counts on hung its transfers.
        op.complete_soon(-ETIME);
      }
    }
    return;
  }
  d->timer_wanted_ms_ = -1;
  d->sweep_unwatched();
  d->act(CURL_SOCKET_TIMEOUT, 0);
  if (d->unwatched_count_ > 0) d->timer_soon();
}

void curl_driver::watch(curl_socket_t fd, int what) {
  const short mask = poll_mask(what);
  forget_unwatched(fd);  // curl's word on it is this one now
  auto it = watchers_.find(fd);
  if (it == watchers_.end()) {
    if (mask == 0) return;
    it = watchers_.emplace(fd, callback_op::make(ctx_->loop(), &curl_driver::socket_ready, this)).first;
    it->second->fd = fd;
  }
  callback_op& w = *it->second;
  const bool changed = w.wanted != mask;
  w.wanted = mask;
  if (w.in_flight()) {
    if (changed) w.cancel();  // its callback re-arms it for the new mask
  } else if (mask != 0) {
    arm(w);
  }
}

void curl_driver::arm(callback_op& w) {
  op_request r{op_kind::poll, w.fd};
  r.flags = w.wanted;
  w.start(r);
}

void curl_driver::socket_ready(void* self, callback_op& w, long result) {
  auto* d = static_cast<curl_driver*>(self);
  if (result != -ECANCELED && w.wanted != 0) {
    int events = 0;
    if (result < 0) {
      events = CURL_CSELECT_ERR;
    } else {
      if (result & (POLLIN | POLLHUP | POLLRDHUP)) events |= CURL_CSELECT_IN;
      if (result & POLLOUT) events |= CURL_CSELECT_OUT;
      if (result & POLLERR) events |= CURL_CSELECT_ERR;
    }
    d->act(w.fd, events);
  }
  if (w.wanted != 0 && !w.in_flight()) {
    try {
      d->arm(w);
    } catch (...) {
      // No room for the poll: curl looks at the socket on the next turn
      // (a read that would block tells it so) and asks again.
      w.complete_soon(w.wanted);
    }
  }
}

void curl_driver::act(curl_socket_t fd, int events) {
  int running = 0;
  const CURLMcode code = ::curl_multi_socket_action(multi_, fd, events, &running);
  finish_done();
  if (code == CURLM_OUT_OF_MEMORY && !renewal_->in_flight()) renewal_->complete_soon(0);
}

void curl_driver::finish_done() {
  int left = 0;
  while (CURLMsg* m = ::curl_multi_info_read(multi_, &left)) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL* easy = m->easy_handle;
    const CURLcode code = m->data.result;
    void* sink = nullptr;
    ::curl_easy_getinfo(easy, CURLINFO_PRIVATE, &sink);
    ::curl_multi_remove_handle(multi_, easy);
    static_cast<transfer_sink*>(sink)->done(code);
  }
}

}  // namespace switchyard::http::detail
