// The processes backend's pool of worker processes, owned by the engine:
// started on first use, leased to calls (a call holds its workers until it
// returns), replaced when they die, started over in a forked child. How a
// call uses its workers is pool::run (shard_run.cpp).
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <switchyard/shared_array.hpp>

#include "backends/processes/worker_process.hpp"
#include "core/src/lock_across_fork.hpp"
#include "core/src/shared_regions.hpp"
#include "kernels/common/reduction.hpp"

namespace switchyard::backends::processes {

using detail::located_region;
using kernels::reduction;

/// The test hooks' counts (pool.hpp's testing functions set them).
extern std::atomic<int> first_shard_failures;
extern std::atomic<int> first_shard_stops;
extern std::atomic<int> first_shard_errors;
extern std::atomic<std::uint64_t> hook_chunk;
/// Chunks run again in a fresh worker because theirs died or stalled.
extern std::atomic<int> rerun_chunks;
/// When not 0, the most chunks one job may have (so a test's small input
/// runs in several jobs, or several claiming rounds).
extern std::atomic<std::size_t> job_chunk_limit;

struct slot {
  worker_process w;
  bool busy = false;
  std::unique_ptr<detail::shared_region> staging;
};

class pool {
 public:
  pool(unsigned workers, std::chrono::milliseconds stall) : workers_(workers), stall_(stall) {}
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;
  /// Stops the workers (this process's: a forked child only lets go of the
  /// parent's) and frees their memory: what destroying an engine promises.
  ~pool();
  /// Computes the partials of r's chunks (chunk_elements each, partial_bytes
  /// apiece, into out) on at most max_workers workers (shard_run.cpp).
  /// Throws switchyard::error: worker_failed when a shard's worker died or
  /// stalled twice.
  void run(const reduction& r, std::size_t chunk_elements, void* out, std::size_t partial_bytes,
           unsigned max_workers);
  void forget(std::uint64_t id);
  std::vector<pid_t> pids();

 private:
  class lease;
  struct lane;
  const std::string& program();
  void start(std::vector<slot*>& slots);
  void respawn(slot& s);
  void map(slot& s, const located_region& r, bool writable = false);
  /// The claim counter (protocol.hpp, struct job) of the call whose first
  /// worker is `first`: a word of its own in the pool's claims region, which
  /// no other call running meanwhile uses (a slot serves one call at a time).
  struct claim_word {
    located_region region;  ///< offset: the word's
    std::uint64_t* word;
  };
  claim_word claim_counter(const slot& first);
  void start_over_if_forked();

  unsigned workers_;
  std::chrono::milliseconds stall_;  ///< engine_config::worker_stall_timeout
  std::mutex m_;
  /// m_ is kept out of a fork: a call starting workers holds it until they
  /// are ready, and a child forked meanwhile, whose copy stayed held, never
  /// started a pool of its own. posix_spawn, which starts the workers under
  /// it, runs no fork handlers; a fork waits for such a start, which the
  /// stall limits bound.
  detail::lock_across_fork fork_guard_{[this]() -> std::mutex& { return m_; }};
  std::condition_variable freed_;
  std::vector<slot> slots_;
  /// The fork generation (core/src/fork_generation.hpp) whose process
  /// started the workers, or none yet.
  static constexpr unsigned no_workers_yet = ~0u;
  unsigned owner_ = no_workers_yet;
  std::string program_;
  int image_fd_ = -1;
  std::unique_ptr<detail::shared_region> claims_;  ///< a cache line per slot
};


class pool::lease {
 public:
  lease(pool& p, unsigned want) : p_(p) {
    std::unique_lock lock(p.m_);
    p.freed_.wait(lock, [&] {
      return std::any_of(p.slots_.begin(), p.slots_.end(), [](const slot& s) { return !s.busy; });
    });
    // Reap idle workers that died since the last call (killed from outside),
    // so that none stays a zombie for longer than until the next call, and
    // none is handed a job: the call's first job on each held worker is
    // posted without asking again.
    std::vector<worker_process*> idle;
    for (slot& s : p.slots_) {
      if (!s.busy && s.w.alive()) idle.push_back(&s.w);
    }
    reap_exited(idle);
    for (slot& s : p.slots_) {
      if (held.size() == want) break;
      if (!s.busy) {
        s.busy = true;
        held.push_back(&s);
      }
    }
  }
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  ~lease() {
    {
      std::lock_guard lock(p_.m_);
      for (slot* s : held) s->busy = false;
    }
    p_.freed_.notify_all();
  }
  std::vector<slot*> held;

 private:
  pool& p_;
};

}  // namespace switchyard::backends::processes
