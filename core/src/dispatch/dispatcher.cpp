// Loading, measuring and publishing the model (dispatcher.hpp).
#include "dispatcher.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/src/engine_state.hpp"
#include "core/src/log_sink.hpp"
#include "fingerprint.hpp"
#include "other_work.hpp"
#include "profile_store.hpp"

namespace switchyard::detail::dispatch {
namespace {

/// The automatic calibration at a first call is bounded: a program that
/// never ran `switchyard calibrate` waits at most this long, once.
constexpr double automatic_budget_seconds = 2.0;

/// How long a program waits for another that is measuring for the same
/// profile (its budget is 2 or 10 s, plus the measurement in flight).
constexpr double lock_wait_seconds = 15.0;

bool calibration_disabled() {
  const char* v = std::getenv("SWITCHYARD_CALIBRATE");
  return v != nullptr && std::strcmp(v, "0") == 0;
}

bool measured_short_of_cores(const profile& p) { return p.others.short_of_cores(p.workers); }

std::string one_decimal(double x) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f", x);
  return out;
}

/// "other programs kept 1.0 of 2 CPUs busy"
std::string busy_cpus(const other_work& o) {
  return "other programs kept " + one_decimal(o.busy_cores) + " of " + std::to_string(o.cpus) + " CPUs busy";
}

std::string describe_calibration(const profile& p, const std::string& where) {
  std::string out = std::string(p.quick ? "a quick calibration" : "a calibration") + " of this machine (" +
                    std::to_string(p.calibration_seconds).substr(0, 4) + " s";
  if (measured_short_of_cores(p)) out += ", while " + busy_cpus(p.others);
  return out + "), kept in " + where;
}

void warn_if_short_of_cores(const profile& p) {
  if (!measured_short_of_cores(p)) return;
  log_line(log_level::warning, "the calibration ran while " + busy_cpus(p.others) +
                                   ": its figures for threads and processes may be low; a program that finds the "
                                   "machine quieter measures again (or run `switchyard calibrate` then)");
}

/// Other programs' work now, when p was measured short of cores that they
/// leave free now (else nullopt). The window costs 50 ms, and only a
/// profile measured short of cores pays it.
std::optional<other_work> quieter_now(const profile& p) {
  if (!measured_short_of_cores(p)) return std::nullopt;
  const std::optional<other_work> now = other_work_now(std::chrono::milliseconds(50));
  if (!now || now->cores_taken(p.workers) > p.others.cores_taken(p.workers) - skewing_share * p.workers) {
    return std::nullopt;
  }
  return now;
}

}  // namespace

std::unique_ptr<model_state> dispatcher::make_state(const profile& p, std::string source) const {
  std::vector<backend> candidates;
  for (const backend b : {backend::serial, backend::simd, backend::threads, backend::processes, backend::cuda}) {
    if (e_.knows(b) && e_.status(b).available) candidates.push_back(b);
  }
  return std::make_unique<model_state>(p, std::move(candidates), e_.max_threads(), std::move(source));
}

const model_state& dispatcher::publish(std::unique_ptr<model_state> m) {
  std::lock_guard lock(replaced_m_);
  kept_.push_back(std::move(m));
  current_.store(kept_.back().get(), std::memory_order_release);
  return *kept_.back();
}

const model_state& dispatcher::use(const profile& p, std::string source) {
  return publish(make_state(p, std::move(source)));
}

const model_state& dispatcher::load() {
  loaded_.run([&] {
    const fingerprint here = fingerprint_here(e_);
    if (calibration_disabled()) {
      use(default_profile(here), "the built-in defaults (SWITCHYARD_CALIBRATE=0), not measured on this machine");
      return;
    }
    const std::filesystem::path path = profile_path(here);
    loaded_profile found = load_profile(path, here);
    const auto use_found = [&] { use(*found.value, describe_calibration(*found.value, path.string())); };
    // A file that cannot be trusted: the defaults, and no measuring.
    const auto untrusted = [&] {
      if (found.value || found.problem.empty()) return false;
      log_line(log_level::warning, found.problem);
      use(default_profile(here), "the built-in defaults, not measured on this machine: " + found.problem);
      return true;
    };
    if (found.value && !measured_short_of_cores(*found.value)) return use_found();
    if (untrusted()) return;
    const profile_lock lock(path, lock_wait_seconds);
    if (lock.waited()) {
      // Another program measured meanwhile: what it found holds here too.
      found = load_profile(path, here);
      if (found.value) return use_found();
      if (untrusted()) return;
    }
    std::string again;
    if (found.value) {
      const std::optional<other_work> now = quieter_now(*found.value);
      if (!now) return use_found();
      const std::string then_and_now =
          busy_cpus(found.value->others) + ", and they keep " + one_decimal(now->busy_cores) + " busy now";
      again = "; measured again: the kept profile was measured while " + then_and_now;
      log_line(log_level::warning, "the profile " + path.string() + " was measured while " + then_and_now +
                                       ": measuring again");
    }
    profile measured = calibrate(e_, here, {.quick = true, .budget_seconds = automatic_budget_seconds});
    warn_if_short_of_cores(measured);
    std::string source = describe_calibration(measured, path.string()) + again;
    if (const std::string why = save_profile(measured, path); !why.empty()) {
      log_line(log_level::warning, why);
      source = describe_calibration(measured, "memory only: " + why) + again;
    }
    use(measured, std::move(source));
  });
  return *current_.load(std::memory_order_acquire);
}

void dispatcher::observe(const query& q, backend b, double observed_ns) noexcept {
  try {
    const model_state& m = model();
    const auto predicted = predict(m.p, b, q);
    if (!predicted || predicted->total() <= 0) return;
    const double ratio = observed_ns / predicted->total();
    std::atomic<int>& departures = departures_[index_of(q.key)];
    if (ratio < drift_factor && ratio > 1 / drift_factor) {
      departures.store(0, std::memory_order_relaxed);
      return;
    }
    if (departures.fetch_add(1, std::memory_order_relaxed) + 1 < drift_limit) return;
    std::unique_lock lock(remeasure_m_, std::try_to_lock);
    if (!lock.owns_lock()) return;  // another call is re-measuring
    departures.store(0, std::memory_order_relaxed);
    const model_state& now = model();
    profile p = remeasure(e_, now.p, q.key, b);
    const std::string note = "; " + key_name(q.key) + " re-measured after " + std::to_string(drift_limit) +
                             " calls departed from the model by more than " + std::to_string(drift_factor).substr(0, 3) + "x";
    log_line(log_level::warning, "the times of " + key_name(q.key) + " on " + std::string(to_string(b)) +
                                     " departed from the model's; it was measured again");
    use(p, now.source.find(note) == std::string::npos ? now.source + note : now.source);
  } catch (...) {
    // Drift recovery is best effort: the call it samples has its answer.
  }
}

std::pair<const model_state*, std::string> dispatcher::recalibrate(const calibration_plan& plan) {
  const fingerprint here = fingerprint_here(e_);
  const std::filesystem::path path = profile_path(here);
  const profile_lock lock(path, lock_wait_seconds);
  const profile measured = calibrate(e_, here, plan);
  warn_if_short_of_cores(measured);
  const std::string why = save_profile(measured, path);
  const model_state& m =
      use(measured, describe_calibration(measured, why.empty() ? path.string() : "memory only: " + why));
  // A later first call must not load over what was measured here.
  loaded_.run([] {});
  return {&m, why};
}

}  // namespace switchyard::detail::dispatch
