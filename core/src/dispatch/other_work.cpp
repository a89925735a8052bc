// Other programs' CPU time (other_work.hpp).
#include "other_work.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/src/reading_files.hpp"

namespace switchyard::detail::dispatch {
namespace {

/// busy_seconds_in /proc/stat, for the CPUs of this process's affinity.
std::optional<double> busy_seconds(unsigned& cpus) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return std::nullopt;
  std::ifstream in = input_file("/proc/stat");
  if (!in) return std::nullopt;
  return busy_seconds_in(in, allowed, sysconf(_SC_CLK_TCK), cpus);
}

/// This process's CPU time and that of the children it has waited for
/// (and theirs): a benchmark's suites, servers and workers are its own work.
double own_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  rusage children{};
  getrusage(RUSAGE_CHILDREN, &children);
  const auto seconds = [](const timeval& v) { return static_cast<double>(v.tv_sec) + static_cast<double>(v.tv_usec) * 1e-6; };
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9 + seconds(children.ru_utime) +
         seconds(children.ru_stime);
}

}  // namespace

std::optional<double> busy_seconds_in(std::istream& proc_stat, const cpu_set_t& allowed, long ticks_per_second,
                                      unsigned& cpus) {
  if (ticks_per_second <= 0) return std::nullopt;
  double busy = 0;
  cpus = 0;
  std::string line;
  while (std::getline(proc_stat, line)) {
    // "cpuN user nice system idle iowait irq softirq steal ..."; "cpu " is the total.
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
    std::istringstream fields(line.substr(3));
    unsigned id = 0;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(fields >> id >> user >> nice >> system >> idle >> iowait >> irq >> softirq)) return std::nullopt;
    fields >> steal;  // absent before Linux 2.6.11: none
    if (id >= CPU_SETSIZE || !CPU_ISSET(id, &allowed)) continue;
    busy += static_cast<double>(user + nice + system + irq + softirq + steal);
    ++cpus;
  }
  if (cpus == 0) return std::nullopt;
  return busy / static_cast<double>(ticks_per_second);
}

double other_work::cores_taken(unsigned workers) const {
  const double spare = static_cast<double>(cpus) - static_cast<double>(std::min(workers, cpus));
  return std::max(0.0, busy_cores - spare);
}

bool other_work::short_of_cores(unsigned workers) const { return cores_taken(workers) >= skewing_share * workers; }

other_work_meter::other_work_meter()
    : busy_(busy_seconds(cpus_)), self_(own_cpu_seconds()), start_(std::chrono::steady_clock::now()) {}

std::optional<other_work> other_work_meter::close() const {
  unsigned cpus = 0;
  const std::optional<double> busy = busy_seconds(cpus);
  const double self = own_cpu_seconds();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (!busy_ || !busy || cpus != cpus_ || wall <= 0) return std::nullopt;
  // /proc/stat counts whole ticks, this process's clock nanoseconds: a
  // window with nothing else running can read a little below zero.
  const double others = std::max(0.0, (*busy - *busy_) - (self - self_)) / wall;
  return other_work{std::min(others, static_cast<double>(cpus)), cpus};
}

std::optional<other_work> other_work_now(std::chrono::milliseconds window) {
  const other_work_meter meter;
  std::this_thread::sleep_for(window);
  return meter.close();
}

}  // namespace switchyard::detail::dispatch
