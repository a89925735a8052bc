// switchyard-worker: the program each processes-backend worker runs. It maps
// the memory files its parent sends, waits for jobs on its "go" eventfd, runs
// the SIMD kernels over its chunks and signals "done". It exits when its
// parent exits (a pidfd of the parent is in its poll set between jobs, and
// polled every parent_check_ns during one) or closes the socket.
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "backends/processes/protocol.hpp"
#include "kernels/simd/kernel_set.hpp"

namespace sp = switchyard::backends::processes;

namespace {

struct mapping {
  const unsigned char* base;
  std::size_t bytes;
};

std::map<std::uint64_t, mapping> regions;
int parent_fd = -1;  ///< a pidfd of the parent: readable once it has exited

bool parent_exited() {
  pollfd p{parent_fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

sp::control_header* control_block = nullptr;  ///< once mapped: where die() says why

/// Ends the worker on an error of its own: `what` failed, for errno's
/// reason (when `err` is not 0), in the control block for the parent's error.
[[noreturn]] void die(const char* what, int err = errno) {
  if (control_block != nullptr) {
    std::snprintf(control_block->last_words, sizeof control_block->last_words, "%s%s%s", what, err != 0 ? ": " : "",
                  err != 0 ? std::strerror(err) : "");
  }
  _exit(sp::exit_said_why);
}

/// Reads one message from the parent; false when the parent hung up.
bool handle_message() {
  sp::region_message m{};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  iovec iov{&m, sizeof m};
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = control;
  h.msg_controllen = sizeof control;
  ssize_t got;
  do got = recvmsg(sp::worker_socket_fd, &h, MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got <= 0) return false;
  if (m.kind == sp::region_message::map || m.kind == sp::region_message::map_writable) {
    const cmsghdr* c = CMSG_FIRSTHDR(&h);
    if (c == nullptr || c->cmsg_type != SCM_RIGHTS) die("map message without a descriptor");
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    const int prot = m.kind == sp::region_message::map_writable ? PROT_READ | PROT_WRITE : PROT_READ;
    void* p = m.bytes == 0 ? nullptr : mmap(nullptr, m.bytes, prot, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) die("mmap of a shared region");
    regions[m.region] = {static_cast<const unsigned char*>(p), m.bytes};
  } else if (m.kind == sp::region_message::unmap) {
    if (auto it = regions.find(m.region); it != regions.end()) {
      if (it->second.base) munmap(const_cast<unsigned char*>(it->second.base), it->second.bytes);
      regions.erase(it);
    }
  }
  return true;
}

/// The address of an input; waits for its map message if it is still queued
/// (the parent sends it before posting the job).
const unsigned char* resolve(const sp::input_ref& in) {
  if (in.region == 0) return nullptr;
  for (;;) {
    if (auto it = regions.find(in.region); it != regions.end()) return it->second.base + in.offset;
    if (!handle_message()) _exit(0);
  }
}

void run(sp::control_header& ctl, unsigned char* results) {
  const sp::job j = ctl.work;
  const bool claiming = (j.flags & sp::job_flag_claim) != 0;
  auto fail_on_purpose = [&] {
    if (j.flags & sp::job_flag_die) raise(SIGKILL);
    if (j.flags & sp::job_flag_stop) raise(SIGSTOP);
    if (j.flags & sp::job_flag_fail) die("failed on purpose (a test's hook)", EIO);
  };
  if (!claiming) fail_on_purpose();  // the parent flags only the job that holds hook_chunk
  const unsigned char* xb = resolve(j.x);
  const unsigned char* yb = resolve(j.y);
  const switchyard::kernels::reduction r{j.op, j.type, j.mode, j.pred_op, j.pred_bits, xb, yb, j.n};
  switchyard::kernels::with_types(r, [&]<class T, class P>() {
    const T* x = reinterpret_cast<const T*>(xb);
    const T* y = reinterpret_cast<const T*>(yb);
    // The clock is read per chunk (a vDSO call, nanoseconds against a chunk's
    // microseconds); the parent only every parent_check_ns.
    auto next_check = std::chrono::steady_clock::now() + std::chrono::nanoseconds(sp::parent_check_ns);
    // Chunk i of the job (counted from first_chunk): its partial.
    auto chunk = [&](std::uint64_t i) {
      const std::size_t begin = (j.first_chunk + i) * j.chunk_elements;
      const std::size_t len = std::min<std::size_t>(j.chunk_elements, j.n - begin);
      const std::size_t local = i * j.chunk_elements;
      const P p = switchyard::kernels::run_chunk<switchyard::kernels::simd::kernel_set, T, P>(r, x + local, y ? y + local : nullptr, begin, len);
      ctl.heartbeat.store(ctl.heartbeat.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      if (const auto now = std::chrono::steady_clock::now(); now > next_check) {
        if (parent_exited()) _exit(0);
        next_check = now + std::chrono::nanoseconds(sp::parent_check_ns);
      }
      return p;
    };
    if (!claiming) {
      for (std::uint64_t i = 0; i < j.chunks; ++i) {
        const P p = chunk(i);
        std::memcpy(results + i * sizeof(P), &p, sizeof(P));
      }
      return;
    }
    // The counter is in a region mapped writable (map_writable).
    auto* counter = reinterpret_cast<std::uint64_t*>(const_cast<unsigned char*>(resolve(j.claims)));
    std::atomic_ref<std::uint64_t> next(*counter);
    std::uint32_t written = 0;
    for (;;) {
      std::uint64_t at = next.load(std::memory_order_relaxed);
      std::uint64_t run = 0;
      do {
        if (at >= j.chunks) return;
        run = sp::claim_run(j.chunks - at, j.claimants);
      } while (!next.compare_exchange_weak(at, at + run, std::memory_order_relaxed));
      if (j.hook_chunk >= j.first_chunk + at && j.hook_chunk < j.first_chunk + at + run) fail_on_purpose();
      for (std::uint64_t i = at; i < at + run; ++i) {
        const P p = chunk(i);
        unsigned char* record = results + written * sp::record_bytes(sizeof(P));
        std::memcpy(record, &i, sizeof i);
        std::memcpy(record + sizeof i, &p, sizeof(P));
        ctl.records.store(++written, std::memory_order_release);
      }
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "switchyard-worker is started by the switchyard library, not by hand\n");
    return 2;
  }
  const pid_t parent = static_cast<pid_t>(std::strtol(argv[1], nullptr, 10));
  // Another version's library started it: that library's error says so. It
  // may kill this worker while it exits (its brothers failed first), so the
  // exit runs no exit-time work: a sanitizer's leak check, killed midway,
  // writes to the stderr this worker shares with its parent.
  if (std::strtoul(argv[2], nullptr, 10) != sp::protocol_version) _exit(sp::exit_other_protocol);
  close(sp::worker_image_fd);  // open only when started from the library's image
  prctl(PR_SET_NAME, "switchyard-wkr");
  // A pidfd polls readable when the whole parent process has exited (unlike
  // PR_SET_PDEATHSIG, which fires when the spawning *thread* exits).
  parent_fd = static_cast<int>(syscall(SYS_pidfd_open, parent, 0));
  if (parent_fd < 0) _exit(sp::exit_no_parent_pidfd);
  if (getppid() != parent) return 0;  // the parent is already gone

  void* mem = mmap(nullptr, sp::control_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, sp::worker_control_fd, 0);
  if (mem == MAP_FAILED) _exit(sp::exit_no_control_block);
  close(sp::worker_control_fd);
  auto& ctl = *static_cast<sp::control_header*>(mem);
  control_block = &ctl;
  unsigned char* results = static_cast<unsigned char*>(mem) + sp::results_offset;

  const std::uint64_t one = 1;
  ctl.last_cpu.store(-1, std::memory_order_relaxed);
  ctl.ready_version = sp::protocol_version;
  if (write(sp::worker_done_fd, &one, sizeof one) != sizeof one) die("write to the done eventfd");

  pollfd fds[3] = {{sp::worker_go_fd, POLLIN, 0}, {sp::worker_socket_fd, POLLIN, 0}, {parent_fd, POLLIN, 0}};
  std::uint32_t seen = 0;
  for (;;) {
    std::uint32_t posted = ctl.posted.load(std::memory_order_acquire);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(sp::spin_ns);
    while (posted == seen && std::chrono::steady_clock::now() <= deadline) {
      sp::spin_step();
      posted = ctl.posted.load(std::memory_order_acquire);
    }
    if (posted == seen) {
      ctl.worker_sleeping.store(1);
      if (ctl.posted.load() == seen) {
        if (poll(fds, 3, -1) < 0 && errno != EINTR) die("poll");
        if (fds[2].revents) return 0;
        if (fds[1].revents && !handle_message()) return 0;
        std::uint64_t wakes;
        if ((fds[0].revents & POLLIN) && read(sp::worker_go_fd, &wakes, sizeof wakes) != sizeof wakes) {
          die("read of the go eventfd");
        }
      }
      ctl.worker_sleeping.store(0);
      continue;
    }
    seen = posted;
    run(ctl, results);
    ctl.last_cpu.store(sched_getcpu(), std::memory_order_relaxed);
    ctl.completed.store(seen);
    if (ctl.parent_sleeping.load() && write(sp::worker_done_fd, &one, sizeof one) != sizeof one) {
      die("write to the done eventfd");
    }
  }
}
