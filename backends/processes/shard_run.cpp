// One call on the processes backend (pool::run): lease workers and hand them
// the call's chunks. Input in place in a shared_array is shared out as the
// workers go: each claims runs of chunks from one counter until none is
// left, so a worker on a slower or busier core takes fewer. Other input is
// copied through each worker's staging memory, overlapped with the work, one
// contiguous shard per worker. Chunks whose worker died or stalled are re-run
// once in a fresh worker.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <switchyard/error.hpp>

#include "backends/chunked/spread.hpp"
#include "backends/processes/worker_pool.hpp"

namespace switchyard::backends::processes {

using detail::locate_shared;

namespace {

/// Chunks per job on the copying path: each job's input is copied into one
/// half of the worker's staging memory while the worker reduces the other.
constexpr std::size_t staging_chunks = 4;

/// The hook flags (pool.hpp's testing functions) for a job of chunks
/// [first, first + chunks): each hook fails the next jobs that hold hook_chunk.
std::uint32_t hook_flags(std::size_t first, std::size_t chunks) {
  const std::uint64_t at = hook_chunk.load();
  if (at < first || at >= first + chunks) return 0;
  std::uint32_t flags = 0;
  if (first_shard_failures.load() > 0 && first_shard_failures.fetch_sub(1) > 0) flags |= job_flag_die;
  if (first_shard_stops.load() > 0 && first_shard_stops.fetch_sub(1) > 0) flags |= job_flag_stop;
  if (first_shard_errors.load() > 0 && first_shard_errors.fetch_sub(1) > 0) flags |= job_flag_fail;
  return flags;
}

}  // namespace

struct pool::lane {
  slot* s;
  std::vector<std::pair<std::size_t, std::size_t>> jobs;  // (first chunk, chunks)
  /// A claiming lane runs one job, a round of the call shared with the
  /// round's other lanes, with these flags besides job_flag_claim.
  std::optional<std::uint32_t> claim_flags{};
  std::size_t current = 0;
  std::size_t staged = 0;  // jobs [0, staged) have their input in staging memory
  std::optional<located_region> staging{};  // the slot's staging memory, when copying
  int deaths = 0;
  bool finished = false;
  // The worker's heartbeat when last seen to change, and when: a worker whose
  // heartbeat stands still for the stall timeout is not running.
  std::uint32_t beat = 0;
  std::chrono::steady_clock::time_point beat_at{};
};

void pool::run(const reduction& r, std::size_t chunk_elements, void* out, std::size_t partial_bytes,
               unsigned max_workers) {
  const std::size_t count = (r.n + chunk_elements - 1) / chunk_elements;
  const std::size_t esize = element_bytes(r.type);
  const auto xr = locate_shared(r.x, r.n * esize);
  const auto yr = r.y ? locate_shared(r.y, r.n * esize) : std::nullopt;
  const bool copying = !xr || (r.y != nullptr && !yr);
  const std::size_t piece_bytes = staging_chunks * chunk_elements * sizeof(std::uint64_t);

  start_over_if_forked();
  const unsigned workers = std::clamp(max_workers, 1u, workers_);
  lease held(*this, static_cast<unsigned>(std::min<std::size_t>(count, workers)));
  start(held.held);
  const std::size_t k = held.held.size();
  const bool claiming = !copying && k > 1;
  const std::size_t limit = job_chunk_limit.load() == 0 ? SIZE_MAX : job_chunk_limit.load();
  const std::size_t per_job = std::min(limit, copying    ? staging_chunks
                                              : claiming ? result_capacity(record_bytes(partial_bytes))
                                                         : result_capacity(partial_bytes));
  const std::size_t rerun_job = std::min(limit, result_capacity(partial_bytes));
  const std::optional<claim_word> claims = claiming ? std::optional(claim_counter(*held.held.front())) : std::nullopt;

  // Input of job j of a lane: in place in the caller's shared_array, or in
  // half j % 2 of the lane's staging memory.
  auto input = [&](lane& l, std::size_t j, const void* data, const std::optional<located_region>& where,
                   std::size_t slot_in_half) -> input_ref {
    if (data == nullptr) return {};
    const std::size_t first = l.jobs[j].first;
    if (!copying) return {where->id, where->offset + first * chunk_elements * esize};
    return {l.staging->id, ((j % 2) * 2 + slot_in_half) * piece_bytes};
  };
  auto stage = [&](lane& l, std::size_t j) {
    const auto [first, chunks] = l.jobs[j];
    const std::size_t begin = first * chunk_elements;
    const std::size_t bytes = (std::min(r.n, (first + chunks) * chunk_elements) - begin) * esize;
    auto* base = static_cast<unsigned char*>(l.s->staging->data());
    std::memcpy(base + (j % 2) * 2 * piece_bytes, static_cast<const unsigned char*>(r.x) + begin * esize, bytes);
    if (r.y) std::memcpy(base + ((j % 2) * 2 + 1) * piece_bytes, static_cast<const unsigned char*>(r.y) + begin * esize, bytes);
  };
  // Posts the lane's current job, then stages the next one while it runs.
  std::vector<const slot*> unposted(held.held.begin(), held.held.end());  // the lease saw them alive just now
  auto post = [&](lane& l) {
    worker_process& w = l.s->w;
    const bool seen_alive = std::erase(unposted, l.s) > 0;
    if (!w.alive() || (!seen_alive && has_exited(w))) respawn(*l.s);  // died while idle: not this job's fault
    const std::size_t j = l.current;
    if (copying) {
      if (l.staged <= j) stage(l, l.staged++);
      map(*l.s, *l.staging);
    } else {
      map(*l.s, *xr);
      if (yr) map(*l.s, *yr);
      if (l.claim_flags) map(*l.s, claims->region, true);
    }
    job& jb = w.control->work;
    jb = job{r.op, r.type, r.mode, r.pred_op, 0, r.pred_bits, input(l, j, r.x, xr, 0), input(l, j, r.y, yr, 1),
             r.n, chunk_elements, l.jobs[j].first, l.jobs[j].second, {}, 0, hook_chunk.load()};
    if (l.claim_flags) {
      jb.flags = job_flag_claim | *l.claim_flags;
      jb.claims = {claims->region.id, claims->region.offset};
      jb.claimants = static_cast<std::uint32_t>(k);
    } else {
      jb.flags = hook_flags(jb.first_chunk, jb.chunks);
    }
    w.control->records.store(0, std::memory_order_relaxed);  // published by `posted` below
    l.beat = w.control->heartbeat.load(std::memory_order_relaxed);
    l.beat_at = std::chrono::steady_clock::now();
    w.control->posted.store(++w.posted);
    if (w.control->worker_sleeping.load()) {
      const std::uint64_t one = 1;
      // A failed write means the worker is gone; its pidfd says so below.
      [[maybe_unused]] const auto ignored = write(w.go, &one, sizeof one);
    }
    if (copying && l.staged == j + 1 && j + 1 < l.jobs.size()) stage(l, l.staged++);
  };
  // Posts each lane's first job; workers that read in place and last ran on
  // one CPU wake apart (spread.hpp), while a copying call leaves them where
  // the OS puts them, beside the copy.
  auto post_all = [&](std::vector<lane>& phase) {
    std::vector<int> wake_cpus;  // empty: every worker where the OS puts it
    if (!copying && phase.size() > 1) {
      std::vector<int> last_cpus;
      for (const lane& l : phase) {
        last_cpus.push_back(l.s->w.alive() ? l.s->w.control->last_cpu.load(std::memory_order_relaxed) : -1);
      }
      wake_cpus = spread_targets(last_cpus, phase.front().s->w.pid);
    }
    for (std::size_t i = 0; i < phase.size(); ++i) {
      std::optional<wake_on_cpu> apart;
      if (!wake_cpus.empty() && wake_cpus[i] >= 0) apart.emplace(phase[i].s->w.pid, wake_cpus[i]);
      post(phase[i]);
    }
  };

  // The lanes of the call's jobs, and of a claiming round's re-runs.
  std::vector<lane> lanes;
  std::vector<lane> rerun;
  // On an unexpected error, workers still running a job of this call are
  // stopped before the lease returns them, so no later call sees their results.
  struct stop_unfinished {
    pool& p;
    std::vector<lane>& lanes;
    std::vector<lane>& rerun;
    ~stop_unfinished() {
      std::lock_guard lock(p.m_);
      for (auto* v : {&lanes, &rerun}) {
        for (lane& l : *v) {
          if (!l.finished) reap(l.s->w);
        }
      }
    }
  } guard{*this, lanes, rerun};

  std::string failure;
  auto fail_lane = [&](lane& l, const std::string& why) {
    if (failure.empty()) failure = why;
    l.finished = true;
  };
  auto completed = [](const lane& l) {
    return l.s->w.control->completed.load(std::memory_order_acquire) == l.s->w.posted;
  };
  // A claiming job's records: each finished chunk's partial to `out`, and
  // the chunk marked done (relative to the round's first chunk).
  std::vector<char> done;
  auto take_records = [&](const lane& l) {
    const auto [first, chunks] = l.jobs[l.current];
    const std::size_t bytes = record_bytes(partial_bytes);
    const auto* base = reinterpret_cast<const unsigned char*>(l.s->w.control) + results_offset;
    const std::size_t n = std::min<std::size_t>(l.s->w.control->records.load(std::memory_order_acquire), chunks);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t c;
      std::memcpy(&c, base + i * bytes, sizeof c);
      if (c >= chunks) continue;  // not a chunk of this job: left to the re-run
      std::memcpy(static_cast<unsigned char*>(out) + (first + c) * partial_bytes, base + i * bytes + sizeof c, partial_bytes);
      done[c] = 1;
    }
  };
  auto on_done = [&](lane& l) {
    const auto [first, chunks] = l.jobs[l.current];
    if (l.claim_flags) {
      take_records(l);
    } else {
      std::memcpy(static_cast<unsigned char*>(out) + first * partial_bytes,
                  reinterpret_cast<const unsigned char*>(l.s->w.control) + results_offset, chunks * partial_bytes);
    }
    l.deaths = 0;
    if (++l.current == l.jobs.size()) {
      l.finished = true;
      return;
    }
    try {
      post(l);
    } catch (const error& e) {
      fail_lane(l, e.what());
    }
  };
  // A worker that died, or (stalled) one that stopped running and is killed
  // here. A static job is re-run in a fresh worker; a claiming job keeps what
  // its worker finished, and the round re-runs the rest once it is over.
  auto on_death = [&](lane& l, bool stalled) {
    const auto [first, chunks] = l.jobs[l.current];
    if (l.claim_flags) take_records(l);
    std::string how;
    {
      std::lock_guard lock(m_);
      how = reap(l.s->w);
    }
    if (l.claim_flags) {  // not re-posted: the round re-runs what it left
      l.finished = true;
      return;
    }
    if (stalled) how = "finished no chunk for " + std::to_string(stall_.count()) + " ms (stopped or hung) and was killed";
    if (++l.deaths == 2) {
      fail_lane(l, "processes backend: the worker running chunks [" + std::to_string(first) + ", " +
                       std::to_string(first + chunks) + ") " + how +
                       ", and so did the fresh worker that re-ran them; the reduction was abandoned");
      return;
    }
    rerun_chunks.fetch_add(static_cast<int>(chunks), std::memory_order_relaxed);
    try {
      post(l);  // re-run the job in a fresh worker
    } catch (const error& e) {
      fail_lane(l, e.what());
    }
  };

  // Runs every lane's jobs to the end (or to a failure).
  std::vector<pollfd> fds;
  std::vector<lane*> waiting;
  auto drive = [&](std::vector<lane>& phase) {
    post_all(phase);
    for (;;) {
      // Spin a while (a small call finishes within it), then block in poll,
      // which also sees a worker's death through its pidfd.
      bool progress = false;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(spin_ns);
      for (;;) {
        waiting.clear();
        for (lane& l : phase) {
          if (l.finished) continue;
          if (completed(l)) {
            on_done(l);
            progress = true;
          } else {
            waiting.push_back(&l);
          }
        }
        if (progress || waiting.empty() || std::chrono::steady_clock::now() > deadline) break;
        spin_step();
      }
      if (waiting.empty() && std::all_of(phase.begin(), phase.end(), [](const lane& l) { return l.finished; })) break;
      if (progress) continue;

      fds.clear();
      for (lane* l : waiting) {
        l->s->w.control->parent_sleeping.store(1);
        fds.push_back({l->s->w.done, POLLIN, 0});
        fds.push_back({l->s->w.pidfd, POLLIN, 0});
      }
      // Wake by the first stall deadline at the latest.
      auto now = std::chrono::steady_clock::now();
      auto first_deadline = now + stall_;
      for (lane* l : waiting) first_deadline = std::min(first_deadline, l->beat_at + stall_);
      const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(first_deadline - now).count();
      const bool finished_meanwhile = std::any_of(waiting.begin(), waiting.end(), [&](lane* l) { return completed(*l); });
      if (!finished_meanwhile && poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(0, wait_ms))) < 0 &&
          errno != EINTR) {
        throw error(errc::resource_exhausted, std::string("processes backend: poll: ") + std::strerror(errno));
      }
      now = std::chrono::steady_clock::now();
      for (std::size_t i = 0; i < waiting.size(); ++i) {
        lane& l = *waiting[i];
        l.s->w.control->parent_sleeping.store(0);
        std::uint64_t wakes;
        if ((fds[2 * i].revents & POLLIN) && read(l.s->w.done, &wakes, sizeof wakes) < 0) {
          // Nothing to drain; the counters below decide.
        }
        if (completed(l)) {
          on_done(l);
        } else if (fds[2 * i + 1].revents) {
          on_death(l, false);
        } else if (const auto beat = l.s->w.control->heartbeat.load(std::memory_order_relaxed); beat != l.beat) {
          l.beat = beat;
          l.beat_at = now;
        } else if (now - l.beat_at >= stall_) {
          on_death(l, true);
        }
      }
    }
  };

  if (!claiming) {
    // A contiguous shard per lane: lane i's chunks [i * count / k, (i + 1) * count / k), cut into jobs.
    for (std::size_t i = 0; i < k; ++i) {
      lane l{held.held[i], {}};
      const std::size_t end = (i + 1) * count / k;
      for (std::size_t c = i * count / k; c < end; c += per_job) l.jobs.emplace_back(c, std::min(per_job, end - c));
      if (copying) {
        if (!l.s->staging) l.s->staging = std::make_unique<detail::shared_region>(4 * piece_bytes, "switchyard-staging");
        l.staging = locate_shared(l.s->staging->data(), l.s->staging->bytes());
      }
      lanes.push_back(std::move(l));
    }
    drive(lanes);
  } else {
    // Rounds of as many chunks as one worker's records can hold (it may take
    // them all), each shared by every lane; a round ends when all its lanes do.
    std::atomic_ref<std::uint64_t> next_claim(*claims->word);
    for (std::size_t round = 0; round < count && failure.empty(); round += per_job) {
      const std::size_t chunks = std::min(per_job, count - round);
      const std::uint32_t flags = hook_flags(round, chunks);  // only the worker that takes hook_chunk acts on them
      done.assign(chunks, 0);
      next_claim.store(0, std::memory_order_relaxed);  // published by each job's `posted`
      lanes.clear();
      for (slot* s : held.held) {
        lane l{s, {{round, chunks}}};
        l.claim_flags = flags;
        lanes.push_back(std::move(l));
      }
      drive(lanes);
      if (!failure.empty()) break;
      // What lost workers left (the rest of the runs they had taken), as jobs
      // for fresh workers in their slots; a second death there fails the call.
      // A lost worker is one on_death reaped: a worker posted to is alive.
      rerun.clear();
      for (const lane& l : lanes) {
        if (!l.s->w.alive()) rerun.push_back(lane{l.s, {}});
      }
      if (rerun.empty()) rerun.push_back(lane{lanes.front().s, {}});  // none lost: nothing should be missing
      std::size_t next_lane = 0;
      for (std::size_t c = 0; c < chunks;) {
        if (done[c]) {
          ++c;
          continue;
        }
        std::size_t end = c;
        while (end < chunks && !done[end] && end - c < rerun_job) ++end;
        rerun[next_lane++ % rerun.size()].jobs.emplace_back(round + c, end - c);
        c = end;
      }
      std::erase_if(rerun, [](const lane& l) { return l.jobs.empty(); });
      for (lane& l : rerun) {
        l.deaths = 1;
        for (const auto& jb : l.jobs) rerun_chunks.fetch_add(static_cast<int>(jb.second), std::memory_order_relaxed);
      }
      if (!rerun.empty()) drive(rerun);
    }
  }
  if (!failure.empty()) throw error(errc::worker_failed, failure);
}

}  // namespace switchyard::backends::processes
