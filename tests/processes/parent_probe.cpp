// A separate program for the tests that need a fresh process:
//   processes_parent_probe wait   starts the workers, prints their pids on one
//                                 line, then waits to be killed (a parent that dies)
//   processes_parent_probe once   one reduction on processes; prints "ok", or
//                                 "error <code>: <message>" and exits 3 (a
//                                 worker program that cannot start)
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <switchyard/switchyard.hpp>

#include "backends/processes/pool.hpp"

int main(int argc, char** argv) {
  namespace sy = switchyard;
  const bool wait = argc > 1 && std::strcmp(argv[1], "wait") == 0;
  try {
    sy::shared_array<float> a(1 << 20);
    a[7] = 2.5f;
    const float s = sy::sum(a, {.backend = sy::backend::processes});
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
