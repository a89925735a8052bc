// Spawning, watching and reaping worker processes.
#include "backends/processes/worker_process.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <switchyard/error.hpp>

#include "core/src/process_stat.hpp"

extern char** environ;

namespace switchyard::backends::processes {
namespace {

/// A descriptor that stays open for as long as this object lives.
class fd_guard {
 public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const noexcept { return fd_; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(errc code, const std::string& what, int err) {
  throw error(code, "processes backend: " + what + ": " + std::strerror(err));
}

int checked(int fd, const char* what) {
  if (fd < 0) {
    const int err = errno;
    fail(err == EMFILE || err == ENFILE || err == ENOMEM ? errc::resource_exhausted : errc::backend_unavailable,
         what, err);
  }
  return above_worker_fds(fd);
}

/// posix_spawn attributes and file actions, released on every path.
struct spawn_setup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  spawn_setup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return std::string("killed by SIG") + (name ? name : std::to_string(WTERMSIG(status)).c_str());
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended with wait status " + std::to_string(status);
}

/// Why a worker that exited with `status` says it did, as " (...)", or
/// nothing: read after it has exited, so its control block is still.
std::string last_words(const worker_process& w, int status) {
  switch (status) {
    case exit_other_protocol:
      return " (it speaks another protocol than this library's: SWITCHYARD_WORKER names another version's worker)";
    case exit_no_parent_pidfd: return " (it could not open a pidfd of its parent: Linux 5.3 or later is needed)";
    case exit_no_control_block: return " (it could not map its control block)";
    case exit_said_why:
      if (w.control != nullptr && w.control->last_words[0] != '\0') {
        return " (" + std::string(w.control->last_words, strnlen(w.control->last_words, sizeof w.control->last_words)) + ")";
      }
      return {};
    default: return {};
  }
}

/// How far a starting worker has got: its scheduler state (0 when /proc
/// cannot say) and the CPU time it has used.
detail::process_stat progress_of(pid_t pid) { return detail::read_process_stat(pid).value_or(detail::process_stat{}); }

}  // namespace

int above_worker_fds(int fd) {
  if (fd < 0 || fd > worker_image_fd) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, worker_image_fd + 1);
  const int err = errno;
  close(fd);
  if (moved >= 0) return moved;
  // F_DUPFD says EINVAL when the limit is at or below the number asked for:
  // name the limit, not fcntl's word for it.
  rlimit limit{};
  if ((err == EINVAL || err == EMFILE) && getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    throw error(errc::resource_exhausted,
                "processes backend: the descriptor limit (RLIMIT_NOFILE " + std::to_string(limit.rlim_cur) +
                    ") leaves no descriptor above " + std::to_string(worker_image_fd) +
                    " for the workers' channels; raise it (ulimit -n)");
  }
  fail(errc::resource_exhausted, "cannot move a descriptor", err);
}

worker_process spawn_worker(const std::string& program, int image_fd) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    fail(errc::resource_exhausted, "socketpair", errno);
  }
  fd_guard parent_end(above_worker_fds(pair[0]));
  fd_guard child_end(above_worker_fds(pair[1]));
  fd_guard go(checked(eventfd(0, EFD_CLOEXEC), "eventfd"));
  fd_guard done(checked(eventfd(0, EFD_CLOEXEC), "eventfd"));
  fd_guard control(checked(memfd_create("switchyard-worker-control", MFD_CLOEXEC), "memfd_create"));
  if (ftruncate(control.get(), control_bytes) != 0) fail(errc::resource_exhausted, "sizing the control block", errno);
  void* mem = mmap(nullptr, control_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, control.get(), 0);
  if (mem == MAP_FAILED) fail(errc::resource_exhausted, "mapping the control block", errno);

  spawn_setup s;
  posix_spawn_file_actions_adddup2(&s.actions, child_end.get(), worker_socket_fd);
  posix_spawn_file_actions_adddup2(&s.actions, control.get(), worker_control_fd);
  posix_spawn_file_actions_adddup2(&s.actions, go.get(), worker_go_fd);
  posix_spawn_file_actions_adddup2(&s.actions, done.get(), worker_done_fd);
  if (image_fd >= 0) posix_spawn_file_actions_adddup2(&s.actions, image_fd, worker_image_fd);
  // Descriptors the application left inheritable stay out of the worker.
  posix_spawn_file_actions_addclosefrom_np(&s.actions, worker_image_fd + 1);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &all);
  // Its own process group: a Ctrl-C at the terminal stops the application,
  // whose exit then ends the workers, instead of killing workers mid-shard.
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  const std::string parent = std::to_string(getpid());
  const std::string version = std::to_string(protocol_version);
  char* argv[] = {const_cast<char*>("switchyard-worker"), const_cast<char*>(parent.c_str()),
                  const_cast<char*>(version.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &s.actions, &s.attr, argv, environ);
  if (rc != 0) {
    munmap(mem, control_bytes);
    fail(rc == EAGAIN || rc == ENOMEM ? errc::resource_exhausted : errc::backend_unavailable,
         "cannot start the worker program " + program +
             " (if memory files may not be executed here, set SWITCHYARD_WORKER to an installed switchyard-worker)",
         rc);
  }
  worker_process w;
  w.pid = pid;
  w.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (w.pidfd < 0) {
    const int err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    munmap(mem, control_bytes);
    fail(errc::backend_unavailable, "pidfd_open of a worker", err);
  }
  w.socket = parent_end.release();
  w.go = go.release();
  w.done = done.release();
  w.control = static_cast<control_header*>(mem);
  return w;
}

void await_ready(worker_process& w, std::chrono::milliseconds limit) {
  pollfd fds[2] = {{w.done, POLLIN, 0}, {w.pidfd, POLLIN, 0}};
  // Starting a program is not a stall: one that is still running when the
  // limit passes (on the CPU, in the kernel, or having used CPU time since the
  // last look) gets another limit, up to ten in all; a stopped, asleep or idle
  // one is killed at the first. A loaded machine, or a sanitizer's runtime,
  // can take longer than a short limit to start a healthy worker.
  constexpr int max_limits = 10;
  auto deadline = std::chrono::steady_clock::now() + limit;
  detail::process_stat seen = progress_of(w.pid);
  for (int limits = 1;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int ready = poll(fds, 2, static_cast<int>(std::max<std::int64_t>(0, left.count())));
    if (ready < 0) {
      if (errno == EINTR) continue;
      fail(errc::backend_unavailable, "poll for a starting worker", errno);
    }
    if (ready == 0) {
      const detail::process_stat now = progress_of(w.pid);
      const bool running = now.state == 'R' || now.state == 'D' || now.cpu_ticks > seen.cpu_ticks;
      if (running && limits < max_limits) {
        seen = now;
        deadline += limit;
        ++limits;
        continue;
      }
      // Stopped, hung or never ready: counted as a death, as a stall mid-shard is.
      reap(w);
      const std::string waited = std::to_string(limits * limit.count()) + " ms";
      throw error(errc::worker_failed,
                  running ? "processes backend: the worker ran for " + waited + " without becoming ready; it was killed"
                          : "processes backend: the worker was not ready within " + waited + " and was not running (" +
                                (now.state == 'T' || now.state == 't' ? "stopped" : "asleep or hung") +
                                "); it was killed");
    }
    if (fds[0].revents & POLLIN) break;
    if (fds[1].revents) {
      // Killed from outside (a kill storm, the OOM killer) is a worker's
      // death, as it would be mid-shard; a program that exits or crashes on
      // its own cannot run here.
      const std::string how = reap(w);
      const bool killed = how == "killed by SIGKILL" || how == "killed by SIGTERM" || how == "killed by SIGINT";
      throw error(killed ? errc::worker_failed : errc::backend_unavailable,
                  "processes backend: the worker program " + how + " before it was ready");
    }
  }
  std::uint64_t v;
  if (read(w.done, &v, sizeof v) != sizeof v || w.control->ready_version != protocol_version) {
    reap(w);
    throw error(errc::backend_unavailable, "processes backend: the worker did not report protocol version " +
                                               std::to_string(protocol_version));
  }
}

bool has_exited(const worker_process& w) {
  pollfd p{w.pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

void reap_exited(std::span<worker_process* const> workers) {
  std::vector<pollfd> fds;
  fds.reserve(workers.size());
  for (const worker_process* w : workers) fds.push_back({w->pidfd, POLLIN, 0});
  if (fds.empty() || poll(fds.data(), fds.size(), 0) <= 0) return;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    if (fds[i].revents != 0) reap(*workers[i]);
  }
}

std::string reap(worker_process& w) noexcept {
  std::string how = "was not running";  // short enough to need no allocation
  if (w.pid > 0) {
    if (!has_exited(w)) kill(w.pid, SIGKILL);
    int status = 0;
    pid_t got;
    do got = waitpid(w.pid, &status, 0);
    while (got < 0 && errno == EINTR);
    try {
      how = got == w.pid ? describe_status(status) : "was reaped elsewhere";
      if (got == w.pid && WIFEXITED(status)) how += last_words(w, WEXITSTATUS(status));
    } catch (...) {
      how = "ended";  // no memory for the words; the worker is released all the same
    }
  }
  for (int* fd : {&w.pidfd, &w.socket, &w.go, &w.done}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  if (w.control) munmap(w.control, control_bytes);
  w.control = nullptr;
  w.pid = -1;
  w.mapped.clear();
  return how;
}

bool send_map(worker_process& w, std::uint64_t id, int fd, std::size_t bytes, bool writable) {
  region_message m{writable ? region_message::map_writable : region_message::map, id, bytes};
  iovec iov{&m, sizeof m};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = control;
  h.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t sent;
  do sent = sendmsg(w.socket, &h, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(sizeof m)) return false;
  w.mapped.insert(id);
  return true;
}

void send_unmap(worker_process& w, std::uint64_t id) {
  if (w.mapped.erase(id) == 0 || w.socket < 0) return;
  region_message m{region_message::unmap, id, 0};
  ssize_t sent;
  do sent = send(w.socket, &m, sizeof m, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
}

}  // namespace switchyard::backends::processes
