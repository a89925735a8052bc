// An engine's dispatcher: the profile it runs on (loaded from the cache,
// measured at the first automatic call when there is none, or the built-in
// defaults), the candidates available here, and the decision table built
// from them. Made once, on first need; after that a decision reads one
// atomic pointer and scans a table row.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "calibrate.hpp"
#include "core/src/fork_safe_mutex.hpp"
#include "core/src/set_up_once.hpp"
#include "decision_table.hpp"

namespace switchyard::detail {
class engine_state;
}

namespace switchyard::detail::dispatch {

struct model_state {
  model_state(const profile& measured, std::vector<backend> available, unsigned workers, std::string from)
      : p(measured), candidates(std::move(available)), table(p, candidates, workers), source(std::move(from)) {}

  profile p;
  std::vector<backend> candidates;  ///< available backends, simplest first
  decision_table table;             ///< of p, which it refers to
  std::string source;               ///< where p comes from, for explain()
};

class dispatcher {
 public:
  explicit dispatcher(engine_state& e) : e_(e) {}

  /// The model; the first call loads or measures it (bounded to 2 s).
  const model_state& model() {
    if (const model_state* m = current_.load(std::memory_order_acquire)) [[likely]] return *m;
    return load();
  }

  /// Measures this machine now, keeps the profile in the cache, and puts it
  /// in use. Returns the model and what could not be done (empty if all was).
  std::pair<const model_state*, std::string> recalibrate(const calibration_plan& plan);

  /// Puts p in use as it is (tests: a synthetic profile).
  const model_state& use(const profile& p, std::string source);

  /// Drift recovery. Calls the model chose whose input holds at least
  /// drift_sample_bytes are timed one in drift_sample_every; wants_sample()
  /// says whether this one is. observe() compares its time with the model's:
  /// drift_limit consecutive departures of more than drift_factor either
  /// way re-measure that kernel (and threads' fixed cost), and the tables
  /// are rebuilt. One re-measurement at a time; calls go on meanwhile.
  static constexpr double drift_sample_bytes = 256 * 1024;
  static constexpr unsigned drift_sample_every = 16;
  static constexpr double drift_factor = 1.5;
  static constexpr int drift_limit = 8;
  bool wants_sample() noexcept {
    return samples_.fetch_add(1, std::memory_order_relaxed) % drift_sample_every == 0;
  }
  void observe(const query& q, backend b, double observed_ns) noexcept;

 private:
  const model_state& load();
  const model_state& publish(std::unique_ptr<model_state> m);
  std::unique_ptr<model_state> make_state(const profile& p, std::string source) const;

  engine_state& e_;
  set_up_once loaded_;
  std::atomic<const model_state*> current_{nullptr};
  std::atomic<unsigned> samples_{0};
  std::array<std::atomic<int>, key_count> departures_{};
  // Fork-safe: a re-measure holds its lock for seconds, and a child forked
  // meanwhile would never re-measure.
  fork_safe_mutex remeasure_m_;
  fork_safe_mutex replaced_m_;
  // Every model ever published stays alive until the engine goes: a call may
  // still be reading the one a recalibration replaced.
  std::vector<std::unique_ptr<model_state>> kept_;
};

}  // namespace switchyard::detail::dispatch
