// The log handler and whether decision lines are wanted.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include <switchyard/log.hpp>

#include "log_sink.hpp"

namespace switchyard {
namespace {

// Decision lines reach stderr only because the user asked for them
// (SWITCHYARD_LOG=decisions); warnings are dropped until a handler is set.
void default_handler(log_level level, std::string_view message) {
  if (level == log_level::decision) std::fprintf(stderr, "switchyard: %.*s\n", static_cast<int>(message.size()), message.data());
}

struct sink {
  std::mutex m;
  log_handler handler = default_handler;
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
