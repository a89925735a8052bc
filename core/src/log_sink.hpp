// Sending a message to the program's log handler (switchyard/log.hpp).
#pragma once

#include <atomic>
#include <string_view>

#include <switchyard/log.hpp>

namespace switchyard::detail {

/// Hands the message to the handler, if one is set; never throws.
void log_line(log_level level, std::string_view message) noexcept;

/// log_decisions() in one relaxed load when the answer is known (a call's path
/// asks it every time): -1 until the environment is read, then 0 or 1.
extern std::atomic<int> decisions_wanted;
inline bool decisions_on() noexcept {
  const int v = decisions_wanted.load(std::memory_order_relaxed);
  return v < 0 ? log_decisions() : v == 1;
}

}  // namespace switchyard::detail
