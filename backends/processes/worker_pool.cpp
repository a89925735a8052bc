// The pool's workers: starting them (from the worker image linked into the
// library, or SWITCHYARD_WORKER), replacing them, telling them which memory
// files to map, and letting go of a parent's workers after fork().
#include "backends/processes/worker_pool.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <switchyard/error.hpp>

#include "core/src/fork_generation.hpp"

// The worker program, linked into the library (worker_image.S), so that an
// application needs no installed helper and can never start a worker from
// another version of switchyard.
extern "C" const unsigned char switchyard_worker_image[];
extern "C" const unsigned char switchyard_worker_image_end[];

namespace switchyard::backends::processes {

std::atomic<int> first_shard_failures{0};
std::atomic<int> first_shard_stops{0};
std::atomic<int> first_shard_errors{0};
std::atomic<std::uint64_t> hook_chunk{0};
std::atomic<int> rerun_chunks{0};
std::atomic<std::size_t> job_chunk_limit{0};

pool::~pool() {
  std::lock_guard lock(m_);
  for (slot& s : slots_) {
    if (owner_ == detail::fork_generation()) {
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

void pool::start_over_if_forked() {
  std::vector<slot> inherited;
  std::unique_ptr<detail::shared_region> inherited_claims;
  {
    std::lock_guard lock(m_);
    if (owner_ == detail::fork_generation()) return;
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
    inherited_claims = std::move(claims_);
    owner_ = detail::fork_generation();
  }
  // The inherited staging and claims regions are freed here, outside the
  // lock: freeing one tells every pool to forget it, this one included.
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
    for (slot* s : slots) {  // the lease has reaped those that had exited
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

void pool::map(slot& s, const located_region& r, bool writable) {
  std::lock_guard lock(m_);
  if (!s.w.mapped.contains(r.id)) send_map(s.w, r.id, r.fd, r.bytes, writable);
}

pool::claim_word pool::claim_counter(const slot& first) {
  constexpr std::size_t line = 64;  // a word per cache line: calls do not share one
  std::lock_guard lock(m_);
  if (!claims_) claims_ = std::make_unique<detail::shared_region>(slots_.size() * line, "switchyard-claims");
  auto where = detail::locate_shared(claims_->data(), claims_->bytes());
  if (!where) throw error(errc::resource_exhausted, "processes backend: the claims region is not registered");
  where->offset = static_cast<std::size_t>(&first - slots_.data()) * line;
  return {*where, reinterpret_cast<std::uint64_t*>(static_cast<unsigned char*>(claims_->data()) + where->offset)};
}

void pool::forget(std::uint64_t id) {
  std::lock_guard lock(m_);
  if (owner_ != detail::fork_generation()) return;
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


}  // namespace switchyard::backends::processes
