// What an engine holds: one instance of every backend in the registry (each
// owning its threads, worker processes or GPU state), each backend's
// availability (probed once, on first need), and the backend that
// SWITCHYARD_BACKEND forces. Nothing on a call's path takes a lock once
// each probe has run (set_up_once), and the backends' own state is
// lock-free to read once made.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <switchyard/backends.hpp>
#include <switchyard/engine.hpp>

#include "compute_backend.hpp"
#include "dispatch/dispatcher.hpp"
#include "registry.hpp"
#include "set_up_once.hpp"

namespace switchyard::detail {

class engine_state {
 public:
  explicit engine_state(const engine_config& config);
  ~engine_state();

  /// The threads or processes a call may use: at least 1.
  unsigned max_threads() const noexcept { return max_threads_; }
  unsigned threads_for(const options& o) const noexcept {
    return o.max_threads == 0 || o.max_threads > max_threads_ ? max_threads_ : o.max_threads;
  }

  /// Whether b names a backend of the registry.
  bool knows(backend b) const noexcept {
    return static_cast<std::size_t>(b) < slots_.size() && slots_[static_cast<std::size_t>(b)].impl != nullptr;
  }
  /// The backend b names (b must be a registry entry's id).
  compute_backend& backend_for(backend b) const noexcept { return *slot_of(b).impl; }
  /// b's way to run a call of one chunk whole, or nullptr (compute_backend::one_chunk).
  const one_chunk_calls* one_chunk(backend b) const noexcept { return slot_of(b).one_chunk; }
  /// Whether b can run here; probed once, then one atomic load.
  const backend_status& status(backend b) const {
    const slot& s = slot_of(b);
    if (s.probed.done()) return s.status;
    return probe(b);
  }

  /// SWITCHYARD_BACKEND as read when the engine was made: nullopt when unset
  /// (or "automatic"); throws switchyard::error when it names no backend or
  /// one that cannot run here.
  std::optional<backend> forced_by_environment() const {
    if (!environment_forces_) [[likely]] return std::nullopt;
    return environment_backend();
  }

  /// The calibrated cost model automatic decides by.
  dispatch::dispatcher& dispatch() const noexcept { return *dispatcher_; }

 private:
  struct slot {
    const backend_entry* entry = nullptr;
    std::unique_ptr<compute_backend> impl;
    const one_chunk_calls* one_chunk = nullptr;
    mutable set_up_once probed;
    mutable backend_status status;
  };
  const backend_status& probe(backend b) const;
  std::optional<backend> environment_backend() const;
  slot& slot_of(backend b) const noexcept { return slots_[static_cast<std::size_t>(b)]; }

  unsigned max_threads_;
  // Indexed by the backend's enum value; automatic's slot stays empty.
  mutable std::array<slot, 8> slots_;
  std::string environment_;                   ///< SWITCHYARD_BACKEND's value
  bool environment_forces_ = false;           ///< it is set to something other than automatic
  std::optional<backend> environment_backend_;  ///< the backend it names, if it names one
  std::unique_ptr<dispatch::dispatcher> dispatcher_;
};

/// The engine a call's options name, or the default one.
inline engine_state& state_of(const options& o) { return (o.engine ? *o.engine : default_engine()).state(); }

}  // namespace switchyard::detail
