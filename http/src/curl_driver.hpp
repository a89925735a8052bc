// One curl multi handle driven by an io::context's loop: curl says which
// sockets to watch for what (CURLMOPT_SOCKETFUNCTION) and when to call it
// back (CURLMOPT_TIMERFUNCTION); each watched socket is a poll operation on
// the loop and the timer a sleep, whose completions call
// curl_multi_socket_action. Finished transfers are handed back through
// on_done, and their tasks resume on the loop's next turn, never inside curl.
#pragma once

#include <curl/curl.h>

#include <array>
#include <cstddef>
#include <unordered_map>

#include <switchyard/io/context.hpp>

#include "callback_op.hpp"

namespace switchyard::http::detail {

/// What a finished transfer hears: the easy handle and curl's result.
class transfer_sink {
 public:
  virtual void done(CURLcode code) = 0;

 protected:
  ~transfer_sink() = default;
};

class curl_driver {
 public:
  /// Told, on the loop's next turn, that curl ran out of memory in its
  /// multi handle; each transfer on it is to be removed (remove()) and
  /// ended, and the handle is made anew then.
  using broken_callback = void (*)(void* owner);

  curl_driver(io::context& ctx, broken_callback broken, void* owner);
  ~curl_driver();
  curl_driver(const curl_driver&) = delete;
  curl_driver& operator=(const curl_driver&) = delete;

  /// Sets a multi handle's option now and on each one made anew.
  void set_multi_option(CURLMoption option, long value);
  /// Starts easy; sink->done(code) when it ends. easy's CURLOPT_PRIVATE is
  /// set to sink here.
  void add(CURL* easy, transfer_sink* sink);
  /// Takes easy out before it ends (a cancelled transfer); no done() comes.
  void remove(CURL* easy) noexcept;
  io::context& context() noexcept { return *ctx_; }

 private:
  void open();
  void close() noexcept;
  static void renew(void* self, callback_op& op, long result);
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  static void socket_ready(void* self, callback_op& op, long result);
  static void timer_due(void* self, callback_op& op, long result);

  void watch(curl_socket_t fd, int what);
  void arm(callback_op& w);
  void act(curl_socket_t fd, int events);
  void finish_done();
  bool keep_unwatched(curl_socket_t fd, int what) noexcept;
  void forget_unwatched(curl_socket_t fd) noexcept;
  void sweep_unwatched();
  void timer_soon() noexcept;

  io::context* ctx_;
  broken_callback broken_;
  void* owner_;
  /// Out of memory inside curl_multi_socket_action, libcurl 7.88 may keep
  /// a broken entry for a socket: the transfer on it waited for good (curl
  /// asked for no timer or socket again), and the next one on a socket of
  /// the same number divided by zero in curl (SIGFPE). So every transfer
  /// on the handle ends (std::bad_alloc) and the handle is made anew, on
  /// the next turn, outside curl's and the watchers' callbacks
  /// (RELIABILITY.md).
  callback_op* renewal_;
  struct multi_option {
    CURLMoption option;
    long value;
  };
  std::array<multi_option, 4> options_{};
  std::size_t option_count_ = 0;
  CURLM* multi_ = nullptr;  // none once closed, until the next add()
  std::unordered_map<curl_socket_t, callback_op*> watchers_;
  callback_op* timer_ = nullptr;
  long timer_wanted_ms_ = -1;  // curl's last word: -1 none, else from when it said so
  // Sockets curl asked to have watched when there was no memory for a
  // watcher: each turn (the timer, made due) tries again, and meanwhile
  // hands them to curl as ready. A fixed array: it is for when nothing can
  // be allocated. Returning -1 to curl instead left the whole multi handle
  // dead (curl marks it so), every transfer hung.
  struct unwatched {
    curl_socket_t fd;
    int what;
  };
  std::array<unwatched, 16> unwatched_{};
  std::size_t unwatched_count_ = 0;
};

}  // namespace switchyard::http::detail
