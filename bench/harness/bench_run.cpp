#include "harness/bench_run.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <switchyard/backends.hpp>
#include <switchyard/switchyard.hpp>

#include "bench/caps/caps.hpp"
#include "bench/caps/text.hpp"
#include "core/src/dispatch/other_work.hpp"
#include "harness/child.hpp"
#include "nginx/nginx.hpp"
#include "harness/plots.hpp"
#include "harness/report.hpp"
#include "harness/results.hpp"
#include "support/suite_main.hpp"

namespace fs = std::filesystem;

namespace switchyard::bench {
namespace {

struct suite_program {
  std::string name, program;
  bool google_benchmark = true;
  bool needs_nginx = false;
};

const std::vector<suite_program>& suites() {
  static const std::vector<suite_program> all = {
      {"reduce", "reduce_bench"},
      {"processes", "processes_bench"},
      {"io", "io_bench", true, true},
      {"http", "http_client_bench", true, true},
      {"dispatch", "dispatch_bench", false},
      {"cuda", "cuda_bench"},
      {"seed", "seed_bench", true, true},
  };
  return all;
}

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) { interrupted = true; }

fs::path bin_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

nlohmann::json load_average() {
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) != 3) return nullptr;
  return {load[0], load[1], load[2]};
}

/// Where automatic's numbers come from in this run (the suites' automatic
/// cases use the same kept profile): its source, and its choice for two
/// reference calls. Asking first also makes the first calibration, if there
/// is none yet, happen here rather than inside a timed case.
/// And automatic's choice for each op of the reduce suite's sweep (float,
/// default options, 1 KiB to 1 GiB): the summary sets it beside the
/// measured fastest.
nlohmann::json dispatcher_context() {
  namespace sd = switchyard::detail;
  nlohmann::json out{{"choices", nlohmann::json::object()}};
  const std::pair<const char*, op> ops[] = {
      {"sum", op::sum}, {"dot", op::dot}, {"argmin", op::argmin}, {"minmax", op::minmax}, {"count_if", op::count_if}};
  for (const auto& [name, o] : ops) {
    for (std::size_t bytes = 1024; bytes <= (std::size_t{1} << 30); bytes *= 2) {
      sd::call c{};
      c.op = o;
      c.type = sd::element_type::f32;
      c.n = c.n_y = bytes / sizeof(float);
      c.element_bytes = sizeof(float);
      c.pred_op = comparison::greater;
      const decision d = sd::explain(c);
      out["profile"] = d.profile;
      out["from_defaults"] = d.from_defaults;
      out["choices"][name][std::to_string(bytes)] = std::string(to_string(d.backend));
    }
  }
  return out;
}

std::string git_commit() {
  // git's complaints (no checkout, no git) are kept out of the terminal.
  const auto git = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/git", "-C", SWITCHYARD_SOURCE_DIR});
    const child_result r = run_child(args, {}, {});
    return r.exit_code == 0 ? r.out : std::string();
  };
  std::string commit = git({"rev-parse", "--short=12", "HEAD"});
  while (!commit.empty() && (commit.back() == '\n' || commit.back() == ' ')) commit.pop_back();
  if (commit.empty()) return "unknown (no git checkout at " SWITCHYARD_SOURCE_DIR ")";
  if (!git({"status", "--porcelain", "--untracked-files=no"}).empty()) {
    commit += " (with uncommitted changes)";
  }
  return commit;
}

/// Follows a suite's streamed JSON: cases done out of the listed total, the
/// current case, elapsed and estimated remaining time; one line redrawn on a
/// terminal, a line per quarter otherwise.
class progress {
 public:
  progress(std::string suite, std::size_t position, std::size_t suites, std::size_t cases, int repetitions)
      : suite_(std::move(suite)), position_(position), suites_(suites), cases_(cases), repetitions_(repetitions),
        terminal_(::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {
    if (cases_ > 0) {
      std::fprintf(stderr, "[%zu/%zu] %s: %zu cases\n", position_, suites_, suite_.c_str(), cases_);
    } else {
      std::fprintf(stderr, "[%zu/%zu] %s: running\n", position_, suites_, suite_.c_str());
    }
  }

  void update(const std::string& out) {
    std::size_t runs = 0, at = 0;
    std::string current;
    for (std::size_t p; (p = out.find("\"run_type\": \"iteration\"", at)) != std::string::npos; at = p + 1) ++runs;
    if (const auto p = out.rfind("\"run_name\": \""); p != std::string::npos) {
      const auto end = out.find('"', p + 13);
      current = out.substr(p + 13, end == std::string::npos ? 0 : end - p - 13);
    }
    const std::size_t done = runs / static_cast<std::size_t>(std::max(1, repetitions_));
    const double elapsed = seconds();
    const std::string left =
        done > 0 && cases_ > done ? fmt::format(", ~{} left", clock(elapsed / double(done) * double(cases_ - done))) : "";
    if (terminal_) {
      const std::size_t width = 24;
      const std::size_t filled = cases_ ? std::min(width, done * width / cases_) : 0;
      std::fprintf(stderr, "\r\033[K[%zu/%zu] %s [%s%s] %zu/%zu %s, %s%s", position_, suites_, suite_.c_str(),
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, cases_,
                   current.substr(0, 40).c_str(), clock(elapsed).c_str(), left.c_str());
    } else if (cases_ && done * 4 / cases_ > quarter_) {
      quarter_ = done * 4 / cases_;
      std::fprintf(stderr, "  %s: %zu/%zu cases, %s%s\n", suite_.c_str(), done, cases_, clock(elapsed).c_str(),
                   left.c_str());
    } else if (!cases_ && elapsed - last_line_ >= 30) {
      last_line_ = elapsed;
      std::fprintf(stderr, "  %s: %s\n", suite_.c_str(), clock(elapsed).c_str());
    }
    if (terminal_ && !cases_) {
      std::fprintf(stderr, "\r\033[K[%zu/%zu] %s %s", position_, suites_, suite_.c_str(), clock(elapsed).c_str());
    }
  }

  void finish(const std::string& status) {
    if (terminal_) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "[%zu/%zu] %s: %s in %s\n", position_, suites_, suite_.c_str(), status.c_str(),
                 clock(seconds()).c_str());
  }

 private:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  static std::string clock(double s) {
    const auto whole = static_cast<long>(s + 0.5);
    return fmt::format("{}:{:02}", whole / 60, whole % 60);
  }

  std::string suite_;
  std::size_t position_, suites_, cases_;
  int repetitions_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::size_t quarter_ = 0;
  double last_line_ = 0;
};

std::string last_lines(const std::string& text, std::size_t bytes) {
  std::string tail = text.size() > bytes ? text.substr(text.size() - bytes) : text;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return tail;
}

/// How many cases a Google Benchmark suite will run with these arguments.
std::size_t count_cases(std::vector<std::string> args) {
  args.push_back("--benchmark_list_tests=true");
  const child_result listed = run_child(args, {}, [] { return interrupted.load(); });
  return listed.exit_code == 0 ? static_cast<std::size_t>(std::count(listed.out.begin(), listed.out.end(), '\n')) : 0;
}

nlohmann::json run_suite(const suite_program& s, const bench_settings& settings, const fs::path& out,
                         std::optional<nginx_server>& nginx, std::size_t position, std::size_t count) {
  const fs::path program = bin_dir() / s.program;
  nlohmann::json entry{{"program", s.program}};
  if (!fs::exists(program)) {
    entry["status"] = "skipped";
    entry["reason"] = s.program + " is not in this build (" + (bin_dir() / s.program).string() + ")";
    std::fprintf(stderr, "[%zu/%zu] %s: skipped: %s\n", position, count, s.name.c_str(),
                 entry["reason"].get<std::string>().c_str());
    return entry;
  }
  if (s.needs_nginx && !nginx) {
    try {
      nginx.emplace((bin_dir() / "fetch_pages").string(), 10'000, 4096);
    } catch (const std::exception& e) {
      entry["status"] = "skipped";
      entry["reason"] = std::string("no nginx to fetch pages from: ") + e.what();
      std::fprintf(stderr, "[%zu/%zu] %s: skipped: %s\n", position, count, s.name.c_str(), e.what());
      return entry;
    }
  }
  std::vector<std::string> args{program.string()};
  const fs::path dispatch_json = out / "dispatch.json";
  if (s.google_benchmark) {
    if (!settings.full) args.push_back("--quick");
    if (!settings.filter.empty()) args.push_back("--benchmark_filter=" + settings.filter);
    if (s.needs_nginx) args.insert(args.end(), {"--nginx-port", std::to_string(nginx->port())});
  } else {
    // The dispatcher's grid: --quick to 4 MiB in steps of 4, --full to 256 MiB in steps of 2.
    if (settings.full) {
      args.insert(args.end(), {"--largest-bytes", std::to_string(std::size_t{256} << 20)});
    } else {
      args.insert(args.end(), {"--quick", "--largest-bytes", std::to_string(std::size_t{4} << 20), "--sizes-every", "4"});
    }
    args.insert(args.end(), {"--json", dispatch_json.string()});
    fs::remove(dispatch_json);
  }
  const std::size_t cases = s.google_benchmark ? count_cases(args) : 0;
  if (s.google_benchmark) {
    args.insert(args.end(), {"--stream-json", "--benchmark_repetitions=" + std::to_string(settings.repetitions)});
  }
  entry["arguments"] = std::vector<std::string>(args.begin() + 1, args.end());
  progress bar(s.name, position, count, cases, settings.repetitions);
  const child_result r = run_child(args, [&](const std::string& o) { bar.update(o); }, [] { return interrupted.load(); });
  entry["seconds"] = r.seconds;
  std::ofstream(out / (s.name + ".stderr.log")) << r.err;
  if (r.stopped) {
    entry["status"] = "interrupted";
    entry["reason"] = "stopped by Ctrl-C after " + fmt::format("{:.0f}", r.seconds) + " s; the cases measured so far are kept";
  } else if (r.exit_code == 0) {
    entry["status"] = "ran";
  } else if (r.exit_code == suite_skipped) {
    entry["status"] = "skipped";
    entry["reason"] = last_lines(r.err, 500);
  } else {
    entry["status"] = "failed";
    entry["reason"] = fmt::format("{} exited with status {}: {}", s.program, r.exit_code, last_lines(r.err, 1500));
  }
  if (s.google_benchmark) {
    if (auto doc = nlohmann::json::parse(r.out, nullptr, false); !doc.is_discarded() && doc.contains("benchmarks")) {
      entry["results"] = std::move(doc);
    } else if (auto closed = close_truncated_benchmark_json(r.out)) {
      entry["results"] = std::move(*closed);
    }
  } else if (fs::exists(dispatch_json)) {
    std::ifstream in(dispatch_json);
    if (auto doc = nlohmann::json::parse(in, nullptr, false); !doc.is_discarded()) entry["results"] = std::move(doc);
  }
  bar.finish(entry["status"].get<std::string>() +
             (entry.contains("reason") ? ": " + last_lines(entry["reason"].get<std::string>(), 200) : ""));
  return entry;
}

}  // namespace

std::vector<std::string> suite_names() {
  std::vector<std::string> names;
  for (const auto& s : suites()) names.push_back(s.name);
  return names;
}

int run_bench(const bench_settings& settings) {
  std::vector<suite_program> chosen;
  for (const auto& name : settings.suites) {
    bool known = false;
    for (const auto& s : suites()) known = known || s.name == name;
    if (!known) {
      std::string names;
      for (const auto& n : suite_names()) names += (names.empty() ? "" : ", ") + n;
      throw std::runtime_error("--suite " + name + " is not one of " + names);
    }
  }
  for (const auto& s : suites()) {
    if (settings.suites.empty() || std::find(settings.suites.begin(), settings.suites.end(), s.name) != settings.suites.end()) {
      chosen.push_back(s);
    }
  }
  const fs::path out = settings.out_dir;
  fs::create_directories(out);
  if (::access(out.c_str(), W_OK) != 0) throw std::runtime_error("cannot write to " + out.string());

  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  nlohmann::json context{{"date", now_utc()},
                         {"commit", git_commit()},
                         {"build_type", SWITCHYARD_BUILD_TYPE},
                         {"mode", settings.full ? "full" : "quick"},
                         {"repetitions", settings.repetitions},
                         {"filter", settings.filter},
                         {"load_before", load_average()}};
  // Other programs' work over the whole run: the suites, nginx and their
  // children are this run's own once waited for, which they all are by the
  // time it closes.
  const switchyard::detail::dispatch::other_work_meter meter;
  std::fprintf(stderr, "switchyard bench: the capability report first (%s)\n", settings.full ? "full" : "quick");
  context["caps"] = caps::build_report(!settings.full);
  context["dispatcher"] = dispatcher_context();
  nlohmann::json results{{"format", results_format}, {"context", context}, {"suites", nlohmann::json::object()}};
  std::optional<nginx_server> nginx;
  std::size_t position = 0;
  for (const auto& s : chosen) {
    ++position;
    if (interrupted) {
      results["suites"][s.name] = {{"status", "interrupted"}, {"reason", "not started: Ctrl-C stopped the run before it"}};
      continue;
    }
    results["suites"][s.name] = run_suite(s, settings, out, nginx, position, chosen.size());
  }
  nginx.reset();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  auto& ctx = results["context"];
  ctx["load_after"] = load_average();
  ctx["interrupted"] = interrupted.load();
  ctx["warnings"] = nlohmann::json::array();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (const auto others = meter.close()) {
    ctx["other_work"] = caps::other_work_json(*others);
    if (others->short_of_cores(others->cpus)) {
      ctx["warnings"].push_back(fmt::format("other programs kept {:.1f} of {} CPUs busy during the run: figures may "
                                            "be low and noisy",
                                            others->busy_cores, others->cpus));
    }
  } else if (ctx["load_before"].is_array() && ctx["load_before"][0].get<double>() > std::max(0.5, 0.25 * cores)) {
    ctx["warnings"].push_back(fmt::format("the machine was busy before the run (1-minute load {:.2f} on {} cores): "
                                          "figures may be low and noisy",
                                          ctx["load_before"][0].get<double>(), cores));
  }
  const fs::path results_path = out / "results.json";
  {
    std::ofstream f(results_path);
    f << results.dump(1) << "\n";
    if (!f) throw std::runtime_error("cannot write " + results_path.string());
  }
  const results_view view(results);
  const plot_outcome plots = draw_plots(results_path, out);
  for (const auto& w : plots.warnings) std::fprintf(stderr, "switchyard bench: warning: %s\n", w.c_str());
  std::ofstream(out / "report.md") << format_report(view, plots.files, plots.warnings);
  std::printf("%s\n", format_summary(view).c_str());
  for (const auto& w : ctx["warnings"]) std::fprintf(stderr, "switchyard bench: warning: %s\n", w.get<std::string>().c_str());
  std::printf("results: %s\nreport:  %s\n", results_path.c_str(), (out / "report.md").c_str());
  return interrupted ? 130 : 0;
}

}  // namespace switchyard::bench
