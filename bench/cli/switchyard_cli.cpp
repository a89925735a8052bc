// The `switchyard` command: `caps` reports what this machine has and
// measures; `bench` runs every benchmark suite and writes one results file, a
// report and plots; `compare` puts caps reports or bench results side by
// side; `calibrate` measures the machine for the dispatcher; `explain` shows
// which backend a call would run on and the model's numbers behind it.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <switchyard/backends.hpp>
#include <switchyard/calibrate.hpp>
#include <switchyard/engine.hpp>
#include <switchyard/log.hpp>

#include "bench/caps/caps.hpp"
#include "core/src/usable_cores.hpp"
#include "harness/bench_run.hpp"
#include "harness/compare_results.hpp"
#include "support/count_check.hpp"

namespace caps = switchyard::caps;

namespace {

/// explain() for a call described on the command line: no data is read, so
/// none is made.
switchyard::decision explain_call(const std::string& op_name, const std::string& type_name, std::size_t n,
                                  const std::string& location, const std::string& accuracy_name, bool deterministic,
                                  unsigned max_threads) {
  namespace sd = switchyard::detail;
  using switchyard::op;
  const std::pair<const char*, op> ops[] = {{"sum", op::sum},       {"dot", op::dot},       {"sum_of_squares", op::sum_of_squares},
                                            {"norm2", op::norm2},   {"min", op::min},       {"max", op::max},
                                            {"argmin", op::argmin}, {"argmax", op::argmax}, {"minmax", op::minmax},
                                            {"count_if", op::count_if}};
  // Each type by its short name and by its C++ one.
  const std::pair<const char*, sd::element_type> types[] = {
      {"f32", sd::element_type::f32},   {"f64", sd::element_type::f64},    {"i32", sd::element_type::i32},
      {"i64", sd::element_type::i64},   {"u8", sd::element_type::u8},      {"float", sd::element_type::f32},
      {"double", sd::element_type::f64}, {"int32_t", sd::element_type::i32}, {"int64_t", sd::element_type::i64},
      {"uint8_t", sd::element_type::u8}};
  const std::pair<const char*, sd::memory> locations[] = {{"vector", sd::memory::host}, {"shared", sd::memory::shared},
                                                          {"pinned", sd::memory::pinned}, {"device", sd::memory::device}};
  const std::pair<const char*, switchyard::accuracy> accuracies[] = {{"fast", switchyard::accuracy::fast},
                                                                     {"pairwise", switchyard::accuracy::pairwise},
                                                                     {"compensated", switchyard::accuracy::compensated}};
  const auto find = [](const auto& table, const std::string& name, const char* what) {
    std::string names;
    for (const auto& [k, v] : table) {
      if (name == k) return v;
      names += (names.empty() ? "" : ", ") + std::string(k);
    }
    throw std::runtime_error(std::string(what) + " " + name + " is not one of " + names);
  };
  sd::call c{};
  c.op = find(ops, op_name, "--op");
  c.type = find(types, type_name, "--type");
  c.where = find(locations, location, "--location");
  c.n = c.n_y = n;
  c.element_bytes = c.type == sd::element_type::f64 || c.type == sd::element_type::i64 ? 8
                    : c.type == sd::element_type::u8                                   ? 1
                                                                                       : 4;
  c.pred_op = switchyard::comparison::greater;
  c.opts.accuracy = find(accuracies, accuracy_name, "--accuracy");
  c.opts.deterministic = deterministic;
  c.opts.max_threads = max_threads;
  return sd::explain(c);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"switchyard: which backend suits this machine, by measurement"};
  app.require_subcommand(1);

  auto* caps_cmd = app.add_subcommand("caps", "what this machine has and what it measures");
  std::string json_path;
  bool quick = false;
  // A value that starts with '-' is an option the user forgot a value for
  // (`caps --json --quick`), not a file to create.
  const auto not_an_option = [](const std::string& v) -> std::string {
    return v.size() > 1 && v[0] == '-' ? "expects a file name (or - for stdout), not the option " + v : "";
  };
  caps_cmd->add_option("--json", json_path, "also write the report as JSON to this file ('-': stdout, no table)")
      ->check(not_an_option);
  caps_cmd->add_flag("--quick", quick, "measure less (about 2 s instead of about 10 s)");

  auto* bench_cmd = app.add_subcommand("bench", "run the benchmark suites; write results.json, report.md and plots");
  switchyard::bench::bench_settings bench;
  bool full = false, quick_bench = false;
  auto* quick_flag = bench_cmd->add_flag("--quick", quick_bench, "every suite, smaller sizes (the default; about 3 minutes)");
  bench_cmd->add_flag("--full", full, "every size (up to 30 minutes)")->excludes(quick_flag);
  std::string suite_list;
  std::string names;
  for (const auto& s : switchyard::bench::suite_names()) names += (names.empty() ? "" : ",") + s;
  bench_cmd->add_option("--suite", suite_list, "comma-separated suites to run: " + names + " (default: all)");
  bench_cmd->add_option("--out", bench.out_dir, "folder for results.json, report.md and the plots")->capture_default_str();
  bench_cmd->add_option("--repetitions", bench.repetitions, "repetitions of every case (medians and spread over them)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  bench_cmd->add_option("--filter", bench.filter, "a regular expression: only the Google Benchmark cases it matches");

  auto* compare_cmd = app.add_subcommand("compare", "caps reports, or two bench results.json, side by side");
  std::vector<std::string> files;
  compare_cmd->add_option("reports", files, "caps reports (JSON) or bench results.json files; the first is the baseline")
      ->required()
      ->expected(2, -1)
      ->check(CLI::ExistingFile);

  auto* calibrate_cmd = app.add_subcommand("calibrate", "measure this machine for the dispatcher and keep the profile");
  bool calibrate_quick = false;
  calibrate_cmd->add_flag("--quick", calibrate_quick, "measure less (at most 2 s instead of at most 10 s)");

  auto* explain_cmd = app.add_subcommand("explain", "which backend a call would run on, and the model's numbers");
  std::string op_name = "sum", type_name = "f32", location = "vector", accuracy_name = "compensated";
  std::size_t n = 0;
  bool deterministic = false;
  unsigned max_threads = 0;
  explain_cmd->add_option("--op", op_name, "sum, dot, sum_of_squares, norm2, min, max, argmin, argmax, minmax, count_if")
      ->capture_default_str();
  explain_cmd->add_option("--type", type_name, "f32, f64, i32, i64 or u8 (or float, double, int32_t, int64_t, uint8_t)")->capture_default_str();
  explain_cmd->add_option("--n", n, "number of elements")->required()->check(switchyard::bench::count_check());
  explain_cmd->add_option("--location", location, "vector, shared, pinned or device")->capture_default_str();
  explain_cmd->add_option("--accuracy", accuracy_name, "fast, pairwise or compensated")->capture_default_str();
  explain_cmd->add_option("--max-threads", max_threads, "at most this many threads or worker processes (0: all)")
      ->check(switchyard::bench::count_check());
  explain_cmd->add_flag("--deterministic", deterministic, "require the same bits whatever the backend");

  CLI11_PARSE(app, argc, argv);

  // The library writes nothing itself; the command prints its warnings (and
  // the decision lines SWITCHYARD_LOG=decisions asks for).
  switchyard::set_log_handler([](switchyard::log_level level, std::string_view message) {
    std::fprintf(stderr, "switchyard: %s%.*s\n", level == switchyard::log_level::warning ? "warning: " : "",
                 static_cast<int>(message.size()), message.data());
  });

  try {
    if (*caps_cmd) {
      const auto report = caps::build_report(quick);
      if (json_path == "-") {
        std::cout << report.dump(2) << "\n";
        return 0;
      }
      std::cout << caps::format_report(report);
      if (!json_path.empty()) {
        std::ofstream out(json_path);
        out << report.dump(2) << "\n";
        if (!out) throw std::runtime_error("cannot write " + json_path);
      }
    } else if (*calibrate_cmd) {
      const auto r = switchyard::calibrate({.quick = calibrate_quick});
      std::printf("calibrated in %.2f s; profile: %s\n%s", r.seconds,
                  r.profile_path.empty() ? ("not kept: " + r.warning).c_str() : r.profile_path.c_str(), r.summary.c_str());
      if (r.cpus > 0) {
        std::printf("other programs kept %.1f of %u CPUs busy while it measured\n", r.other_programs_busy_cores, r.cpus);
      }
    } else if (*explain_cmd) {
      std::cout << switchyard::to_string(explain_call(op_name, type_name, n, location, accuracy_name, deterministic,
                                                      max_threads));
      // Why a container's threads backend may have fewer threads than cores.
      std::cout << "  threads: at most " << switchyard::default_engine().max_threads() << " of the "
                << switchyard::detail::affinity_cores() << " cores this process may run on";
      if (const auto quota = switchyard::detail::cgroup_cpu_limit()) {
        std::cout << "; its cgroup's CPU quota is " << *quota << (*quota == 1 ? " CPU" : " CPUs");
      }
      std::cout << "\n";
    } else if (*bench_cmd) {
      bench.full = full;
      for (std::size_t at = 0; at < suite_list.size();) {
        const std::size_t comma = std::min(suite_list.find(',', at), suite_list.size());
        if (comma > at) bench.suites.push_back(suite_list.substr(at, comma - at));
        at = comma + 1;
      }
      return switchyard::bench::run_bench(bench);
    } else if (*compare_cmd) {
      std::vector<nlohmann::json> reports;
      for (const auto& f : files) {
        std::ifstream in(f);
        try {
          reports.push_back(nlohmann::json::parse(in));
        } catch (const nlohmann::json::parse_error& e) {
          throw std::runtime_error(f + " is not JSON: " + e.what());
        }
      }
      std::vector<std::string> labels;
      // A to Z, then A27, A28, ...: labels stay letters and digits however many files.
      for (std::size_t i = 0; i < files.size(); ++i) {
        labels.push_back(i < 26 ? std::string(1, static_cast<char>('A' + i)) : "A" + std::to_string(i + 1));
      }
      const auto is_results = [](const nlohmann::json& j) {
        return j.is_object() && j.value("format", "").rfind("switchyard-bench-results", 0) == 0;
      };
      if (is_results(reports[0]) || is_results(reports[1])) {
        if (reports.size() != 2) throw std::runtime_error("compare takes two bench results files (A, then B)");
        const auto view = [&](std::size_t i) {
          try {
            return switchyard::bench::results_view(reports[i]);
          } catch (const std::runtime_error& e) {
            throw std::runtime_error(files[i] + " is " + e.what());
          }
        };
        const switchyard::bench::results_view a = view(0), b = view(1);
        std::cout << switchyard::bench::format_results_comparison(a, b, labels[0], labels[1]);
      } else {
        for (std::size_t i = 0; i < reports.size(); ++i) caps::check_report(reports[i], files[i]);
        std::cout << caps::format_comparison(reports, labels);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchyard: %s\n", e.what());
    return 1;
  }
  return 0;
}
