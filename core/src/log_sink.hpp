// Sending a message to the program's log handler (switchyard/log.hpp).
#pragma once

#include <string_view>

#include <switchyard/log.hpp>

namespace switchyard::detail {

/// Hands the message to the handler, if one is set; never throws.
void log_line(log_level level, std::string_view message) noexcept;

}  // namespace switchyard::detail
