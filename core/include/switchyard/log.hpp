// Where switchyard's messages go. The library never writes to stderr on its
// own: warnings (a profile it could not trust, say) and the decision lines
// that SWITCHYARD_LOG=decisions asks for go to a handler the program sets.
#pragma once

#include <functional>
#include <string_view>

#include <switchyard/detail/export.hpp>

namespace switchyard {

/// The kinds of message.
enum class log_level : unsigned char {
  warning,   ///< something was not as it should be; the call went on
  decision,  ///< one line per call: which backend ran and why (SWITCHYARD_LOG=decisions)
};

/// Receives every message; may be called from any thread, one call at a time.
using log_handler = std::function<void(log_level, std::string_view message)>;

/// Replaces the handler; an empty handler, the default, drops every message
/// (the library never writes to stderr itself). The switchyard command sets
/// one that prints to stderr.
SWITCHYARD_API void set_log_handler(log_handler handler);

/// Whether decision lines are wanted (SWITCHYARD_LOG contains "decisions", or
/// set here); the environment is read once, at the first call.
SWITCHYARD_API bool log_decisions() noexcept;
SWITCHYARD_API void set_log_decisions(bool on) noexcept;

}  // namespace switchyard
