// CLI11 reads "-5" into an unsigned option as 2^N - 5 without a word: an
// option that takes a count checks for a sign first. For the files that
// include CLI11 (the `switchyard` command, program_flags.cpp).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace switchyard::bench {

inline CLI::Validator count_check() {
  return CLI::Validator(
      [](const std::string& v) { return v.find('-') == std::string::npos ? std::string() : "a count is 0 or more, not " + v; },
      "COUNT");
}

}  // namespace switchyard::bench
