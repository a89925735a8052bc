// An engine's dispatcher: the profile it runs on (loaded from the cache,
// measured at the first automatic call when there is none, or the built-in
// defaults), the candidates available here, and the decision table built
// from them. Made once, on first need; after that a decision reads one
// atomic pointer and scans a table row.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "calibrate.hpp"
#include "decision_table.hpp"

namespace switchyard::detail {
class engine_state;
}

namespace switchyard::detail::dispatch {

struct model_state {
  profile p;
  std::vector<backend> candidates;  ///< available backends, simplest first
  decision_table table;
  std::string source;  ///< where p comes from, for explain()
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

 private:
  const model_state& load();
  const model_state& publish(std::unique_ptr<model_state> m);
  std::unique_ptr<model_state> make_state(const profile& p, std::string source) const;

  engine_state& e_;
  std::once_flag loaded_;
  std::atomic<const model_state*> current_{nullptr};
  std::mutex replaced_m_;
  // Every model ever published stays alive until the engine goes: a call may
  // still be reading the one a recalibration replaced.
  std::vector<std::unique_ptr<model_state>> kept_;
};

}  // namespace switchyard::detail::dispatch
