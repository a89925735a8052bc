// The library in a process allowed one CPU (a container's cpuset, `taskset
// -c 0`), where oneTBB gives the process no worker thread: an offloaded job
// made oneTBB print "TBB Warning: The number of workers is currently limited
// to 0" on the program's stderr, which the library must never write to on
// its own. The probe holds itself to one CPU before the library starts,
// sends its stderr to a memory file, sums on the threads backend and
// offloads jobs, then prints what went wrong (exit 1) or "ok" (exit 0).
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <switchyard/io.hpp>
#include <switchyard/switchyard.hpp>

namespace sy = switchyard;
namespace io = switchyard::io;

namespace {

bool hold_to_one_cpu() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return false;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0;
  }
  return false;
}

sy::task<int> offload_jobs(io::context& ctx) {
  int total = 0;
  for (int i = 0; i < 20; ++i) total += co_await io::offload(ctx, [i] { return i; });
  co_return total;
}

std::string what_went_wrong() {
  const std::vector<float> v(1 << 20, 1.0f);
  const float s = sy::sum(v, {.backend = sy::backend::threads});
  if (s != float(v.size())) return "the threads sum gave " + std::to_string(s);
  if (sy::default_engine().max_threads() != 1) return "the engine has " + std::to_string(sy::default_engine().max_threads()) + " threads on one CPU";
  io::runtime rt(1);
  const int total = rt.run(offload_jobs(rt.at(0)));
  return total == 190 ? "" : "the offloaded jobs summed to " + std::to_string(total);
}

}  // namespace

int main() {
  if (!hold_to_one_cpu()) {
    std::puts("sched_setaffinity failed");
    return 1;
  }
  const int captured = memfd_create("stderr", 0);
  const int saved = dup(2);
  if (captured < 0 || saved < 0 || dup2(captured, 2) != 2) {
    std::puts("could not capture stderr");
    return 1;
  }
  std::string wrong;
  try {
    wrong = what_went_wrong();
  } catch (const std::exception& e) {
    wrong = std::string("threw: ") + e.what();
  }
  std::fflush(stderr);
  dup2(saved, 2);
  std::string written(4096, '\0');
  const ssize_t n = pread(captured, written.data(), written.size(), 0);
  written.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  if (!written.empty()) wrong += (wrong.empty() ? "" : "; ") + std::string("stderr got: ") + written;
  std::puts(wrong.empty() ? "ok" : wrong.c_str());
  return wrong.empty() ? 0 : 1;
}
