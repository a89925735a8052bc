// What the dispatcher's tests set up around a profile: an environment
// variable for one test, a fresh cache directory, and the warnings logged.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <switchyard/log.hpp>

namespace switchyard::test {

/// An environment variable set while this lives.
class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    had_ = std::getenv(name) != nullptr;
    setenv(name, value.c_str(), 1);
  }
  ~scoped_env() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

/// A fresh, empty cache directory for one test.
inline std::filesystem::path fresh_cache(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("switchyard-test-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// The warnings logged while this lives.
class captured_warnings {
 public:
  captured_warnings() {
    switchyard::set_log_handler([this](switchyard::log_level level, std::string_view m) {
      if (level != switchyard::log_level::warning) return;
      std::lock_guard lock(m_);
      lines_.emplace_back(m);
    });
  }
  ~captured_warnings() { switchyard::set_log_handler({}); }
  std::vector<std::string> lines() {
    std::lock_guard lock(m_);
    return lines_;
  }
  /// Whether a line says `what`; the failure message shows the first line.
  ::testing::AssertionResult has(const std::string& what) {
    const auto all = lines();
    if (std::any_of(all.begin(), all.end(), [&](const std::string& l) { return l.find(what) != std::string::npos; })) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "no warning says \"" << what << "\": "
                                         << (all.empty() ? "none was logged" : all[0]);
  }

 private:
  std::mutex m_;
  std::vector<std::string> lines_;
};

}  // namespace switchyard::test
