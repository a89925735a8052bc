// Figures from the collected runs: each one a ratio of two runs from this
// process, beside the goal the issue set for it.
#include "report.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <switchyard/options.hpp>

#include "kernels/simd/reduce_kernels.hpp"

namespace switchyard::bench {

std::vector<char*> take_flags(int argc, char** argv, const std::vector<std::pair<std::string, std::string*>>& ours) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    bool taken = false;
    for (const auto& [prefix, value] : ours) {
      if (arg.rfind(prefix, 0) == 0) {
        *value = arg.substr(prefix.size());
        taken = true;
      }
    }
    if (!taken) rest.push_back(argv[i]);
  }
  return rest;
}

void collecting_reporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred) continue;
    const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    if (run.run_type != Run::RT_Iteration && !median) continue;
    // Multi-threaded runs are timed by the wall clock (UseRealTime, and the
    // name says so); single-threaded ones by CPU time, which the other
    // tenants of a shared machine disturb less.
    const std::string name = run.run_name.str();
    const bool wall = name.size() >= 10 && name.compare(name.size() - 10, 10, "/real_time") == 0;
    const double t = wall ? run.GetAdjustedRealTime() : run.GetAdjustedCPUTime();
    (median ? medians_ : seconds_)[name] = t / benchmark::GetTimeUnitMultiplier(run.time_unit);
    if (!median) {
      for (const auto& [key, c] : run.counters) counters_[name + "#" + key] = c.value;
    }
  }
}

double collecting_reporter::seconds(const std::string& name) const {
  // UseRealTime() appends "/real_time" to the name.
  for (const auto* table : {&medians_, &seconds_}) {
    for (const auto& key : {name, name + "/real_time"}) {
      if (auto it = table->find(key); it != table->end()) return it->second;
    }
  }
  return 0;
}

double collecting_reporter::counter(const std::string& name, const std::string& counter) const {
  // Run names grow suffixes ("/iterations:9/manual_time"): match the prefix.
  // With repetitions, the last repetition's value.
  const std::string tail = "#" + counter;
  double value = 0;
  for (const auto& [key, v] : counters_) {
    if (key.rfind(name, 0) == 0 && key.size() > tail.size() &&
        key.compare(key.size() - tail.size(), tail.size(), tail) == 0) {
      value = v;
    }
  }
  return value;
}

namespace {

struct figure {
  std::string what;
  std::string goal;
  double value;
  bool met;
};

std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

}  // namespace

void write_report(const collecting_reporter& r, const std::string& path) {
  std::vector<figure> figures;
  auto ratio = [&](const std::string& slow, const std::string& fast) {
    const double a = r.seconds(slow), b = r.seconds(fast);
    return a > 0 && b > 0 ? a / b : 0.0;
  };
  auto add = [&](std::string what, std::string goal, double value, bool met) {
    if (value > 0) figures.push_back({std::move(what), std::move(goal), value, met});
  };
  // The peers do plain summation, one rounding per add: so does accuracy::fast.
  const double simd_vs_acc = ratio("sum_64KiB/accumulate_O2", "sum_64KiB/simd_fast");
  add("float sum 64 KiB: simd (fast) speed-up over std::accumulate -O2", ">= 10", simd_vs_acc,
      simd_vs_acc >= 10);
  const double simd_vs_omp = ratio("sum_64KiB/omp_simd_native", "sum_64KiB/simd_fast");
  add("float sum 64 KiB: simd (fast) speed-up over omp simd -O3 -march=native", ">= 1.0", simd_vs_omp,
      simd_vs_omp >= 1.0);
  const double default_vs_acc = ratio("sum_64KiB/accumulate_O2", "sum_64KiB/simd_compensated");
  add("float sum 64 KiB: simd (compensated, the default) speed-up over std::accumulate -O2", "(no goal)",
      default_vs_acc, true);
  const double default_vs_omp = ratio("sum_64KiB/omp_simd_native", "sum_64KiB/simd_compensated");
  add("float sum 64 KiB: simd (compensated, the default) speed-up over omp simd -O3 -march=native",
      "(no goal)", default_vs_omp, true);
  const std::string dram = "sum_2GiB/interleaved";
  const double bw = r.counter(dram, "threads_vs_read_loop");
  add("float sum 2 GiB: threads (compensated, the default) bandwidth / plain 2-thread read loop", ">= 0.90", bw,
      bw >= 0.9);
  const double bw_fast = r.counter(dram, "threads_fast_vs_read_loop");
  add("float sum 2 GiB: threads (fast) bandwidth / plain 2-thread read loop", ">= 0.90", bw_fast, bw_fast >= 0.9);
  const double vs_std = r.counter(dram, "threads_vs_std_reduce");
  add("float sum 2 GiB: threads (compensated, the default) speed-up over std::reduce(par_unseq)", ">= 1.0",
      vs_std, vs_std >= 1.0);
  const double vs_std_fast = r.counter(dram, "threads_fast_vs_std_reduce");
  add("float sum 2 GiB: threads (fast) speed-up over std::reduce(par_unseq)", ">= 1.0", vs_std_fast,
      vs_std_fast >= 1.0);
  const double autom = ratio("sum_1000/automatic", "sum_1000/simd");
  add("float sum 1,000: automatic time / forced simd time", "<= 1.3", autom, autom > 0 && autom <= 1.3);
  for (const char* size : {"512KiB", "262144KiB"}) {
    for (const char* b : {"simd", "threads"}) {
      const std::string base = std::string("accuracy_") + size + "/" + b + "_";
      for (const char* a : {"pairwise", "compensated"}) {
        const double cost = ratio(base + a, base + "fast");
        const bool in_dram = std::string(size) != "512KiB";
        add(std::string("accuracy cost ") + size + " " + b + ": " + a + " time / fast time",
            in_dram ? "<= 1.05 for the default" : "(no goal)", cost,
            !in_dram || std::string(a) != "compensated" || cost <= 1.05);
      }
    }
  }
  const double call = r.seconds("processes_4KiB/shared_array") * 1e6;
  add("processes: per-call time, sum of a 4 KiB shared_array (us, median)", "<= 50", call, call <= 50);
  const double call_vector = r.seconds("processes_4KiB/vector") * 1e6;
  add("processes: per-call time, sum of a 4 KiB std::vector (us, median)", "(no goal)", call_vector, true);
  const std::string gib = "processes_1GiB/interleaved";
  const double vs_threads = r.counter(gib, "processes_vs_threads");
  add("processes: float sum 1 GiB shared_array, time / threads time", "<= 1.10", vs_threads, vs_threads <= 1.10);
  const double vector_path = r.counter(gib, "processes_vector_vs_threads");
  add("processes: float sum 1 GiB std::vector (staged copy), time / threads time", "(no goal)", vector_path, true);
  const double readv = r.counter(gib, "vm_readv_vs_threads");
  add("process_vm_readv option: float sum 1 GiB std::vector, time / threads time", "(no goal)", readv, true);
  const double mp = r.counter("processes_64MiB/vs_multiprocessing", "speedup_over_multiprocessing");
  add("processes: float sum 64 MiB, speed-up over multiprocessing.Pool (same chunks)", "(no goal)", mp, true);

  std::string crossover = "not measured";
  // "Beat" means by 5% or more, more than run-to-run noise.
  for (int k : kCrossoverKiB) {
    const std::string base = "crossover_" + std::to_string(k) + "KiB/";
    const double s = r.seconds(base + "simd"), t = r.seconds(base + "threads");
    if (s > 0 && t > 0 && s >= 1.05 * t) {
      crossover = std::to_string(k) + " KiB (threads " + fmt(s / t) + "x simd there)";
      break;
    }
  }

  std::ostringstream md;
  md << "# switchyard reduction benchmark\n\n"
     << "SIMD target: " << kernels::simd::target_name() << ", hardware threads: "
     << std::thread::hardware_concurrency() << ", default accuracy: " << to_string(default_accuracy)
     << "\n\nPeers: std::accumulate built -O2; omp simd and std::reduce(par_unseq) built "
        "-O3 -march=native -fopenmp-simd; the read loop is the omp simd loop on 2 std::threads.\n\n"
     << "| figure | goal | measured | |\n|---|---|---|---|\n";
  for (const auto& f : figures) {
    const bool has_goal = f.goal.front() != '(';
    md << "| " << f.what << " | " << f.goal << " | " << fmt(f.value) << " | "
       << (has_goal ? (f.met ? "met" : "MISSED") : "") << " |\n";
  }
  md << "\nFirst size where threads beat simd (float sum): " << crossover << "\n";
  if (r.counter(dram, "threads_GBps") > 0) {
    md << "\n2 GiB float sum, GB/s (medians of interleaved rounds): read loop "
       << fmt(r.counter(dram, "read_loop_2_threads_GBps")) << ", std::reduce "
       << fmt(r.counter(dram, "std_reduce_par_unseq_GBps")) << ", threads (fast) "
       << fmt(r.counter(dram, "threads_fast_GBps")) << ", threads " << fmt(r.counter(dram, "threads_GBps"))
       << ", simd (one thread) " << fmt(r.counter(dram, "simd_GBps")) << "\n";
  }
  if (r.counter(gib, "threads_GBps") > 0) {
    md << "\n1 GiB float sum, GB/s (medians of interleaved rounds): threads " << fmt(r.counter(gib, "threads_GBps"))
       << ", processes " << fmt(r.counter(gib, "processes_GBps")) << "; std::vector input: threads "
       << fmt(r.counter(gib, "threads_vector_GBps")) << ", processes (staged copy) "
       << fmt(r.counter(gib, "processes_vector_GBps")) << ", process_vm_readv readers "
       << fmt(r.counter(gib, "vm_readv_GBps")) << "\n";
  }
  std::ofstream(path) << md.str();
  std::printf("\n%s", md.str().c_str());
}

}  // namespace switchyard::bench
