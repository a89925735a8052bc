// A separate program for the tests that need a fresh process:
//   processes_parent_probe wait   starts the workers, prints their pids on one
//                                 line, then waits to be killed (a parent that dies)
//   processes_parent_probe busy [MIB]  one worker sums a shared_array of MIB
//                                 MiB (default 1024) over and over; prints its pid
//                                 once the first sum is done (a parent killed
//                                 mid-shard)
//   processes_parent_probe once [MS]  one reduction on processes (an engine
//                                 whose worker_stall_timeout is MS, default
//                                 the default's); prints "ok", or "error
//                                 <code>: <message>" and exits 3 (a worker
//                                 program that cannot start, or starts slowly)
//   processes_parent_probe nofile the "once" reduction with RLIMIT_NOFILE at 8
//                                 (0-2 and the five the workers' channels need)
//   processes_parent_probe fork   a reduction of a std::vector on processes,
//                                 then fork: the child reduces on processes
//                                 again (a pool of its own) and the probe
//                                 prints "child ok" when it did, within 20 s
//   processes_parent_probe fork-starting MARKER  the "fork" case, forked while
//                                 another thread's first call starts the
//                                 workers: once the worker program has made
//                                 the file MARKER (it is slow to start)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <switchyard/switchyard.hpp>

#include "backends/processes/pool.hpp"

int main(int argc, char** argv) {
  namespace sy = switchyard;
  const bool wait = argc > 1 && std::strcmp(argv[1], "wait") == 0;
  const bool fork_starting = argc > 2 && std::strcmp(argv[1], "fork-starting") == 0;
  if (fork_starting || (argc > 1 && std::strcmp(argv[1], "fork") == 0)) {
    const std::vector<float> v(1 << 20, 1.0f);  // a std::vector: copied through staging memory
    std::optional<std::thread> starting;
    bool started_ok = false;
    if (fork_starting) {
      alarm(30);
      starting.emplace([&v, &started_ok] {
        try {
          started_ok = sy::sum(v, {.backend = sy::backend::processes}) == float(1 << 20);
        } catch (const sy::error&) {
        }
      });
      while (access(argv[2], F_OK) != 0) usleep(1000);
    } else if (sy::sum(v, {.backend = sy::backend::processes}) != float(1 << 20)) {
      return 1;
    }
    const pid_t child = fork();
    if (child == 0) {
      alarm(20);  // a hang fails the probe instead of the test suite
      _exit(sy::sum(v, {.backend = sy::backend::processes}) == float(1 << 20) ? 0 : 1);
    }
    if (starting) {
      starting->join();
      if (!started_ok) return 1;
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child) return 1;
    std::printf("%s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "child ok" : "child failed");
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "busy") == 0) {
    sy::engine one({.max_threads = 1});
    const sy::options on_one{.backend = sy::backend::processes, .engine = &one};
    const std::size_t mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1024;
    const sy::shared_array<float> a(mib << 18);
    if (sy::sum(a, on_one) != 0.0f) return 1;
    for (pid_t pid : sy::backends::processes::testing::worker_pids(one)) std::printf("%d ", pid);
    std::printf("\n");
    std::fflush(stdout);
    for (;;) (void)sy::sum(a, on_one);
  }
  if (argc > 1 && std::strcmp(argv[1], "nofile") == 0) {
    const rlimit eight{8, 8};
    if (setrlimit(RLIMIT_NOFILE, &eight) != 0) return 1;
  }
  try {
    std::optional<sy::engine> own;
    if (argc > 2 && std::strcmp(argv[1], "once") == 0) {
      own.emplace(sy::engine_config{.worker_stall_timeout = std::chrono::milliseconds(std::strtol(argv[2], nullptr, 10))});
    }
    sy::shared_array<float> a(1 << 20);
    a[7] = 2.5f;
    const float s = sy::sum(a, {.backend = sy::backend::processes, .engine = own ? &*own : nullptr});
    if (s != 2.5f) return 1;
  } catch (const sy::error& e) {
    std::printf("error %d: %s\n", e.code().value(), e.what());
    return 3;
  }
  if (!wait) {
    std::printf("ok\n");
    return 0;
  }
  for (pid_t pid : sy::backends::processes::testing::worker_pids()) std::printf("%d ", pid);
  std::printf("\n");
  std::fflush(stdout);
  for (;;) pause();
}
