// The profile on disk: versioned JSON under $XDG_CACHE_HOME/switchyard/ (else
// ~/.cache/switchyard/), one file per fingerprint, written atomically
// (a temporary file renamed over the old one), so two processes calibrating
// at once leave one whole profile (profile_lock keeps them from measuring at
// once in the first place). Nothing here throws but std::bad_alloc: a file
// that cannot be read or trusted comes back as a reason, which the caller
// logs as a warning and answers with the defaults, while out of memory
// fails the call that loads, which a later one tries again. Profiles of other builds or machines that
// no program has loaded for 30 days are removed when one is written (a load
// refreshes a file's time), since every change to the library's sources
// keys a profile of its own.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "profile.hpp"

namespace switchyard::detail::dispatch {

/// Where the profile for `f` lives; empty when neither XDG_CACHE_HOME nor
/// HOME is set.
std::filesystem::path profile_path(const fingerprint& f);

struct loaded_profile {
  std::optional<profile> value;
  std::string problem;  ///< why a file that exists was not trusted; empty otherwise
};

/// The profile at `path`, if it exists and can be trusted on this machine.
loaded_profile load_profile(const std::filesystem::path& path, const fingerprint& here);

/// Writes p to `path`; returns why it could not (empty on success).
std::string save_profile(const profile& p, const std::filesystem::path& path);

/// One process (or engine) at a time measures for a profile: two programs
/// starting together on a small machine would each measure beside the
/// other's measuring (and each find the other's work). An flock on
/// `<profile>.lock`, released when this goes (or the process ends), also for
/// a child forked while it was held. Waits at
/// most `wait_seconds`; where the file cannot be made (no cache, not
/// writable) or the wait runs out, goes on without it.
class profile_lock {
 public:
  /// Throws only std::bad_alloc.
  profile_lock(const std::filesystem::path& profile, double wait_seconds);
  ~profile_lock();
  profile_lock(const profile_lock&) = delete;
  profile_lock& operator=(const profile_lock&) = delete;
  /// Whether another holder had it first: it may have written the profile.
  bool waited() const noexcept { return waited_; }

 private:
  int fd_ = -1;
  bool waited_ = false;
};

/// Writes p into `into` (null before: a json_tree's root, so a failure half
/// way frees what was built without allocating).
void to_json(const profile& p, nlohmann::json& into);
/// Throws std::exception (nlohmann's or std::runtime_error) naming what is
/// wrong; with `same_machine`, a fingerprint other than `here` is wrong too.
profile profile_from_json(const nlohmann::json& j, const fingerprint& here, bool same_machine = true);

}  // namespace switchyard::detail::dispatch
