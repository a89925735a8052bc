// switchyard::engine and the default engine.
#include <algorithm>
#include <cstdlib>
#include <string>

#include <switchyard/engine.hpp>
#include <switchyard/error.hpp>

#include "engine_state.hpp"
#include "usable_cores.hpp"

namespace switchyard {
namespace detail {

engine_state::engine_state(const engine_config& config) {
  if (config.worker_stall_timeout <= std::chrono::milliseconds::zero()) {
    throw error(errc::invalid_argument, "engine_config::worker_stall_timeout must be positive, not " +
                                            std::to_string(config.worker_stall_timeout.count()) + " ms");
  }
  // The default counts the cgroup's CPU quota; a bound the program sets may
  // go above it (to the cores the process may run on), as its own choice.
  max_threads_ = config.max_threads == 0 ? usable_cores() : std::min(config.max_threads, affinity_cores());
  const engine_config resolved{.max_threads = max_threads_, .worker_stall_timeout = config.worker_stall_timeout};
  dispatcher_ = std::make_unique<dispatch::dispatcher>(*this);
  for (const backend_entry& e : registry()) {
    slot& s = slot_of(e.id);
    s.entry = &e;
    s.impl = e.make(resolved);
    s.one_chunk = s.impl->one_chunk();
  }
  // The variable's name is looked up once, here; a call only checks the result.
  if (const char* env = std::getenv("SWITCHYARD_BACKEND")) environment_ = env;
  if (environment_.empty() || environment_ == "automatic") return;
  environment_forces_ = true;
  for (const backend_entry& e : registry()) {
    if (e.name == environment_) environment_backend_ = e.id;
  }
}

// Backends go in reverse registry order: serial first, the threads (which the
// cuda backend borrows for its copies) after the ones that borrow them.
engine_state::~engine_state() {
  dispatcher_.reset();
  for (auto it = registry().rbegin(); it != registry().rend(); ++it) slot_of(it->id).impl.reset();
}

const backend_status& engine_state::probe(backend b) const {
  static const backend_status automatic{true, {}};
  if (b == backend::automatic) return automatic;
  slot& s = slot_of(b);
  s.probed.run([&] {
    s.status.reason = s.impl->unavailable_reason();
    s.status.available = s.status.reason.empty();
  });
  return s.status;
}

std::optional<backend> engine_state::environment_backend() const {
  if (environment_backend_) {
    if (const backend_status& s = status(*environment_backend_); !s.available) {
      throw error(errc::backend_unavailable,
                  "SWITCHYARD_BACKEND=" + environment_ + ", but backend " + environment_ + " cannot run here: " + s.reason +
                      "; unset the variable or name another backend");
    }
    return environment_backend_;
  }
  std::string names;
  for (const backend_entry& e : registry()) names += (names.empty() ? "" : ", ") + std::string(e.name);
  throw error(errc::invalid_argument,
              "SWITCHYARD_BACKEND=" + environment_ + " names no backend; use automatic or one of " + names);
}

}  // namespace detail

engine::engine() : engine(engine_config{}) {}
engine::engine(const engine_config& config) : state_(std::make_unique<detail::engine_state>(config)) {}
engine::~engine() = default;

backend_status engine::availability(backend b) const {
  if (b != backend::automatic && !state_->knows(b)) {
    return {false, "backend value " + std::to_string(static_cast<int>(b)) +
                       " is not a switchyard::backend; use one of the enum's names"};
  }
  return state_->status(b);
}

unsigned engine::max_threads() const noexcept { return state_->max_threads(); }

engine& default_engine() {
  // Never destroyed: shared arrays may be freed during static destruction and
  // still tell the pool; worker processes end when this process does.
  static engine* e = new engine;
  return *e;
}

backend_status availability(backend b) { return default_engine().availability(b); }

}  // namespace switchyard
