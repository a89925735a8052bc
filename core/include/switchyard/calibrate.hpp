// Measuring this machine for the dispatcher. automatic measures on its own
// at the first call when no profile exists (at most 2 s, once), or when the
// profile kept was measured while other programs kept a quarter or more of
// its cores busy and they leave that much more free now; `switchyard
// calibrate` or this function measures on purpose, more thoroughly, and keeps
// the profile under $XDG_CACHE_HOME/switchyard/ (else ~/.cache/switchyard/).
// One program measures for a profile at a time; another waits for it and
// loads what it kept. SWITCHYARD_CALIBRATE=0 turns the automatic measurement
// off: the dispatcher then runs on built-in defaults, and explain() says so.
#pragma once

#include <string>

#include <switchyard/detail/export.hpp>

namespace switchyard {

class engine;

struct calibration_options {
  /// About 2 s instead of about 10 s: fewer repetitions, smaller sizes.
  bool quick = false;
  /// The engine to calibrate; nullptr: the default engine.
  switchyard::engine* engine = nullptr;
};

struct calibration_result {
  double seconds = 0;
  std::string profile_path;  ///< where it was kept (empty when it could not be)
  std::string warning;       ///< why it could not be kept, if it could not
  std::string summary;       ///< the crossovers it gives, as text
  /// Other programs' CPU time while it measured, in cores, of `cpus` (the
  /// CPUs this process may run on; 0 where /proc/stat cannot be read). When
  /// they took a quarter of the workers' cores or more, threads' and
  /// processes' figures may be low: the library logs a warning, and a
  /// program that finds the machine quieter measures again.
  double other_programs_busy_cores = 0;
  unsigned cpus = 0;
};

/// Measures every available backend now, keeps the profile and puts it in
/// use. Throws switchyard::error only if measuring itself fails.
SWITCHYARD_API calibration_result calibrate(const calibration_options& options = {});

}  // namespace switchyard
