// The log handler and whether decision lines are wanted.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include <switchyard/log.hpp>

#include "core/src/fork_safe_mutex.hpp"
#include "log_sink.hpp"

namespace switchyard {
namespace {

using detail::fork_safe_mutex;

// No handler until the program sets one: the library writes nothing on its
// own, not even the decision lines SWITCHYARD_LOG=decisions asks for. The
// handler is called one call at a time (log.hpp), under a lock that a fork
// cannot leave held: a child forked while another thread logged waited for
// good at its first message.
struct sink {
  fork_safe_mutex m;
  log_handler handler;
};

sink& the_sink() {
  static sink* s = new sink;  // leaked: calls may log during static destruction
  return *s;
}

}  // namespace

namespace detail {
std::atomic<int> decisions_wanted{-1};  // -1: not read from the environment yet
}  // namespace detail

using detail::decisions_wanted;

void set_log_handler(log_handler handler) {
  sink& s = the_sink();
  std::lock_guard lock(s.m);
  s.handler = std::move(handler);
}

bool log_decisions() noexcept {
  int on = decisions_wanted.load(std::memory_order_relaxed);
  if (on < 0) {
    const char* env = std::getenv("SWITCHYARD_LOG");
    on = env != nullptr && std::strstr(env, "decisions") != nullptr ? 1 : 0;
    int expected = -1;
    decisions_wanted.compare_exchange_strong(expected, on, std::memory_order_relaxed);
    on = decisions_wanted.load(std::memory_order_relaxed);
  }
  return on == 1;
}

void set_log_decisions(bool on) noexcept { decisions_wanted.store(on ? 1 : 0, std::memory_order_relaxed); }

namespace detail {

void log_line(log_level level, std::string_view message) noexcept {
  sink& s = the_sink();
  std::lock_guard lock(s.m);
  if (!s.handler) return;
  try {
    s.handler(level, message);
  } catch (...) {
    // A handler that throws loses its message; the call goes on.
  }
}

}  // namespace detail
}  // namespace switchyard
