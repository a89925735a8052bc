// The processes backend: a pool of worker processes, started on first use and
// owned by the engine, and the per-call protocol: lease workers, hand each a
// contiguous shard of chunks as jobs in its control block, collect the
// partials, and re-run a shard once in a fresh worker when its worker dies.
// The partials combine in the same fixed tree as every CPU backend, so the
// bits match serial, simd and threads.
#include "backends/processes/pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <switchyard/detail/tree_reduce.hpp>
#include <switchyard/engine.hpp>
#include <switchyard/error.hpp>
#include <switchyard/shared_array.hpp>

#include "backends/processes/worker_process.hpp"
#include "core/src/engine_state.hpp"
#include "core/src/shared_regions.hpp"
#include "kernels/common/chunk_kernel.hpp"
#include "kernels/common/chunking.hpp"

// The worker program, linked into the library (worker_image.S), so that an
// application needs no installed helper and can never start a worker from
// another version of switchyard.
extern "C" const unsigned char switchyard_worker_image[];
extern "C" const unsigned char switchyard_worker_image_end[];

namespace switchyard::backends::processes {

using detail::located_region;
using kernels::reduction;
using detail::locate_shared;

namespace {

/// Chunks per job on the copying path: each job's input is copied into one
/// half of the worker's staging memory while the worker reduces the other.
constexpr std::size_t staging_chunks = 4;

std::atomic<int> first_shard_failures{0};
std::atomic<int> first_shard_stops{0};

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
  ~pool() {
    std::lock_guard lock(m_);
    for (slot& s : slots_) {
      if (owner_ == getpid()) {
        if (s.w.alive()) reap(s.w);
      } else {
        for (int fd : {s.w.pidfd, s.w.socket, s.w.go, s.w.done}) {
          if (fd >= 0) close(fd);
        }
        if (s.w.control) munmap(s.w.control, control_bytes);
      }
    }
    if (image_fd_ >= 0) close(image_fd_);
  }
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
  void map(slot& s, const located_region& r);
  void start_over_if_forked();

  unsigned workers_;
  std::chrono::milliseconds stall_;  ///< engine_config::worker_stall_timeout
  std::mutex m_;
  std::condition_variable freed_;
  std::vector<slot> slots_;
  pid_t owner_ = 0;
  std::string program_;
  int image_fd_ = -1;
};

/// Workers held by one call; given back (and waiters woken) on every path.
class pool::lease {
 public:
  lease(pool& p, unsigned want) : p_(p) {
    std::unique_lock lock(p.m_);
    p.freed_.wait(lock, [&] {
      return std::any_of(p.slots_.begin(), p.slots_.end(), [](const slot& s) { return !s.busy; });
    });
    // Reap idle workers that died since the last call (killed from outside),
    // so that none stays a zombie for longer than until the next call.
    for (slot& s : p.slots_) {
      if (!s.busy && s.w.alive() && has_exited(s.w)) reap(s.w);
    }
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

void pool::start_over_if_forked() {
  std::vector<slot> inherited;
  {
    std::lock_guard lock(m_);
    if (owner_ == getpid()) return;
    // First use, or a fork() copied this pool into a child: the workers
    // belong to the parent. Drop the copies of its descriptors and start over.
    for (slot& s : slots_) {
      for (int fd : {s.w.pidfd, s.w.socket, s.w.go, s.w.done}) {
        if (fd >= 0) close(fd);
      }
      if (s.w.control) munmap(s.w.control, control_bytes);
      s.w = {};
    }
    inherited = std::exchange(slots_, std::vector<slot>(workers_));
    owner_ = getpid();
  }
  // The inherited staging regions are freed here, outside the lock: freeing
  // one tells every pool to forget it, this one included.
}

const std::string& pool::program() {
  if (!program_.empty()) return program_;
  if (const char* path = std::getenv("SWITCHYARD_WORKER"); path && *path) return program_ = path;
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
#ifdef MFD_EXEC
  flags |= MFD_EXEC;  // kernels from 6.3 on ask memory files to say they are executable
#endif
  int fd = memfd_create("switchyard-worker", flags);
#ifdef MFD_EXEC
  if (fd < 0 && errno == EINVAL) fd = memfd_create("switchyard-worker", MFD_CLOEXEC | MFD_ALLOW_SEALING);
#endif
  if (fd < 0) throw error(errc::backend_unavailable, std::string("processes backend: memfd_create: ") + std::strerror(errno));
  const std::size_t size = static_cast<std::size_t>(switchyard_worker_image_end - switchyard_worker_image);
  for (std::size_t off = 0; off < size;) {
    const ssize_t n = write(fd, switchyard_worker_image + off, size - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      close(fd);
      throw error(errc::resource_exhausted, std::string("processes backend: writing the worker image: ") + std::strerror(err));
    }
    off += static_cast<std::size_t>(n);
  }
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  // The spawned child's dup2s fill 3..7: keep the image above them.
  image_fd_ = above_worker_fds(fd);
  return program_ = "/proc/self/fd/" + std::to_string(worker_image_fd);
}

void pool::start(std::vector<slot*>& slots) {
  std::lock_guard lock(m_);
  std::vector<slot*> started;
  try {
    for (slot* s : slots) {
      if (s->w.alive() && has_exited(s->w)) reap(s->w);
      if (!s->w.alive()) {
        const std::string& path = program();
        s->w = spawn_worker(path, image_fd_);
        started.push_back(s);
      }
    }
    for (slot* s : started) await_ready(s->w, stall_);
  } catch (...) {
    for (slot* s : started) reap(s->w);
    throw;
  }
}

void pool::respawn(slot& s) {
  std::lock_guard lock(m_);
  reap(s.w);
  const std::string& path = program();
  s.w = spawn_worker(path, image_fd_);
  try {
    await_ready(s.w, stall_);
  } catch (...) {
    reap(s.w);
    throw;
  }
}

void pool::map(slot& s, const located_region& r) {
  std::lock_guard lock(m_);
  if (!s.w.mapped.contains(r.id)) send_map(s.w, r.id, r.fd, r.bytes);
}

void pool::forget(std::uint64_t id) {
  std::lock_guard lock(m_);
  if (owner_ != getpid()) return;
  for (slot& s : slots_) send_unmap(s.w, id);
}

std::vector<pid_t> pool::pids() {
  std::lock_guard lock(m_);
  std::vector<pid_t> out;
  for (const slot& s : slots_) {
    if (s.w.alive()) out.push_back(s.w.pid);
  }
  return out;
}

/// One leased worker's share of a call: jobs [next, jobs.size()) still to run.
struct pool::lane {
  slot* s;
  std::vector<std::pair<std::size_t, std::size_t>> jobs;  // (first chunk, chunks)
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
  const std::size_t per_job = copying ? staging_chunks : result_capacity(partial_bytes);
  const std::size_t piece_bytes = staging_chunks * chunk_elements * sizeof(std::uint64_t);

  start_over_if_forked();
  const unsigned workers = std::clamp(max_workers, 1u, workers_);
  lease held(*this, static_cast<unsigned>(std::min<std::size_t>(count, workers)));
  start(held.held);

  // Lane i's shard: chunks [i * count / k, (i + 1) * count / k), cut into jobs.
  std::vector<lane> lanes;
  const std::size_t k = held.held.size();
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
  auto post = [&](lane& l) {
    worker_process& w = l.s->w;
    if (!w.alive() || has_exited(w)) respawn(*l.s);  // died while idle: not this job's fault
    const std::size_t j = l.current;
    if (copying) {
      if (l.staged <= j) stage(l, l.staged++);
      map(*l.s, *l.staging);
    } else {
      map(*l.s, *xr);
      if (yr) map(*l.s, *yr);
    }
    job& jb = w.control->work;
    jb = job{r.op, r.type, r.mode, r.pred_op, 0, r.pred_bits, input(l, j, r.x, xr, 0), input(l, j, r.y, yr, 1),
             r.n, chunk_elements, l.jobs[j].first, l.jobs[j].second};
    if (jb.first_chunk == 0 && first_shard_failures.load() > 0 && first_shard_failures.fetch_sub(1) > 0) {
      jb.flags |= job_flag_die;
    }
    if (jb.first_chunk == 0 && first_shard_stops.load() > 0 && first_shard_stops.fetch_sub(1) > 0) {
      jb.flags |= job_flag_stop;
    }
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

  // On an unexpected error, workers still running a job of this call are
  // stopped before the lease returns them, so no later call sees their results.
  struct stop_unfinished {
    pool& p;
    std::vector<lane>& lanes;
    ~stop_unfinished() {
      std::lock_guard lock(p.m_);
      for (lane& l : lanes) {
        if (!l.finished) reap(l.s->w);
      }
    }
  } guard{*this, lanes};

  std::string failure;
  auto fail_lane = [&](lane& l, const std::string& why) {
    if (failure.empty()) failure = why;
    l.finished = true;
  };
  for (lane& l : lanes) post(l);

  auto completed = [](const lane& l) {
    return l.s->w.control->completed.load(std::memory_order_acquire) == l.s->w.posted;
  };
  auto on_done = [&](lane& l) {
    const auto [first, chunks] = l.jobs[l.current];
    std::memcpy(static_cast<unsigned char*>(out) + first * partial_bytes,
                reinterpret_cast<const unsigned char*>(l.s->w.control) + results_offset, chunks * partial_bytes);
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
  // A worker that died, or (stalled) one that stopped running and is killed here.
  auto on_death = [&](lane& l, bool stalled) {
    const auto [first, chunks] = l.jobs[l.current];
    std::string how;
    {
      std::lock_guard lock(m_);
      how = reap(l.s->w);
    }
    if (stalled) how = "finished no chunk for " + std::to_string(stall_.count()) + " ms (stopped or hung) and was killed";
    if (++l.deaths == 2) {
      fail_lane(l, "processes backend: the worker running chunks [" + std::to_string(first) + ", " +
                       std::to_string(first + chunks) + ") " + how +
                       ", and so did the fresh worker that re-ran them; the reduction was abandoned");
      return;
    }
    try {
      post(l);  // re-run the job in a fresh worker
    } catch (const error& e) {
      fail_lane(l, e.what());
    }
  };

  std::vector<pollfd> fds;
  std::vector<lane*> waiting;
  for (;;) {
    // Spin a while (a small call finishes within it), then block in poll,
    // which also sees a worker's death through its pidfd.
    bool progress = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(spin_ns);
    for (unsigned i = 1;; ++i) {
      waiting.clear();
      for (lane& l : lanes) {
        if (l.finished) continue;
        if (completed(l)) {
          on_done(l);
          progress = true;
        } else {
          waiting.push_back(&l);
        }
      }
      if (progress || waiting.empty()) break;
      if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline) break;
      spin_pause();
    }
    if (waiting.empty() && std::all_of(lanes.begin(), lanes.end(), [](const lane& l) { return l.finished; })) break;
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
  if (!failure.empty()) throw error(errc::worker_failed, failure);
}

class processes_backend final : public detail::compute_backend, detail::region_listener {
 public:
  processes_backend(unsigned workers, std::chrono::milliseconds stall) : pool_(workers, stall) {
    detail::add_region_listener(this);
  }
  ~processes_backend() override { detail::remove_region_listener(this); }

  std::string unavailable_reason() noexcept override {
    const long fd = syscall(SYS_pidfd_open, getpid(), 0);
    if (fd < 0) {
      return std::string("this kernel lacks pidfd_open (Linux 5.3 or later is needed to watch workers): ") +
             std::strerror(errno) + "; use backend::threads for parallel CPU work";
    }
    close(static_cast<int>(fd));
    return {};
  }

  detail::status reduce(const kernels::reduction& r, const detail::placement& p, void* partial) noexcept override {
    return detail::guarded([&] {
      kernels::with_types(r, [&]<class T, class P>() {
        std::vector<P> parts(kernels::chunk_count(r.n));
        pool_.run(r, kernels::chunk_elements, parts.data(), sizeof(P), p.max_threads);
        *static_cast<P*>(partial) = detail::tree_reduce(
            std::span(parts), [&](const P& l, const P& rr) { return kernels::combine_partials(r.op, l, rr); });
      });
    });
  }

  void forget(std::uint64_t id) noexcept override {
    try {
      pool_.forget(id);
    } catch (...) {
      // Unmapping in the workers is best effort; they unmap everything on exit.
    }
  }

  pool& workers() noexcept { return pool_; }

 private:
  pool pool_;
};

}  // namespace

std::unique_ptr<detail::compute_backend> make(const engine_config& config) {
  return std::make_unique<processes_backend>(config.max_threads, config.worker_stall_timeout);
}

namespace testing {
void fail_first_shard(int times) { first_shard_failures.store(times); }
void stop_first_shard(int times) { first_shard_stops.store(times); }
std::vector<pid_t> worker_pids(const engine& e) {
  auto& b = dynamic_cast<processes_backend&>(e.state().backend_for(backend::processes));
  return b.workers().pids();
}
}  // namespace testing

}  // namespace switchyard::backends::processes
