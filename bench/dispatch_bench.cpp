// The dispatcher's regret: on a grid of ops x element types x sizes x data
// locations, every backend and backend::automatic timed in the same process,
// interleaved; regret = automatic's time / the best backend's time at that
// point. Beside it, two fixed-threshold policies a user might write instead
// (threads from 10,000 elements, as OpenBLAS's dot; from 32,768, PyTorch's
// grain size), scored on the same measurements. Also: calibration time (full
// and quick), the time of one decision, and how often two calibrations agree.
//
// `switchyard bench` runs it (suite `dispatch`) and draws the regret as a heat
// map from its JSON; alone:
//   dispatch_bench [--quick] [--largest-bytes N] [--sizes-every 2|4|8] [--filter 'OP TYPE'] [--json FILE]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <switchyard/switchyard.hpp>

#include "core/src/choose.hpp"
#include "core/src/dispatch/calibrate.hpp"
#include "core/src/dispatch/fingerprint.hpp"
#include "core/src/dispatch/profile_store.hpp"
#include "core/src/engine_state.hpp"
#include "support/median.hpp"
#include "support/program_flags.hpp"

namespace sy = switchyard;
namespace sd = switchyard::detail;
namespace sb = switchyard::bench;
using clock_type = std::chrono::steady_clock;

namespace {

const std::vector<sy::backend> timed = {sy::backend::serial, sy::backend::simd, sy::backend::threads,
                                        sy::backend::processes};

struct point {
  std::string op, type, location;
  std::size_t bytes = 0, n = 0;
  std::vector<double> ns;  // per timed backend, then automatic
  sy::backend chosen = sy::backend::automatic;
};

/// One op over one element type: calls it on n elements at x (and y), which
/// point at raw memory, or (shared) at shared_array<T> objects of n elements.
struct op_case {
  std::string name;
  std::function<void(const void* x, const void* y, std::size_t n, const sy::options&, bool shared)> call;
  sy::op op;
};

template <class T, class F>
auto on_input(F f) {
  return [f](const void* x, const void* y, std::size_t n, const sy::options& o, bool shared) {
    if (shared) {
      f(*static_cast<const sy::shared_array<T>*>(x), *static_cast<const sy::shared_array<T>*>(y), o);
    } else {
      f(std::span<const T>(static_cast<const T*>(x), n), std::span<const T>(static_cast<const T*>(y), n), o);
    }
  };
}

template <class T>
std::vector<op_case> cases_for() {
  return {
      {"sum", on_input<T>([](const auto& x, const auto&, const sy::options& o) { volatile auto r = sy::sum(x, o); (void)r; }),
       sy::op::sum},
      {"argmin", on_input<T>([](const auto& x, const auto&, const sy::options& o) {
         volatile bool r = sy::argmin(x, o).has_value(); (void)r; }), sy::op::argmin},
      {"dot", on_input<T>([](const auto& x, const auto& y, const sy::options& o) { volatile auto r = sy::dot(x, y, o); (void)r; }),
       sy::op::dot},
      {"minmax", on_input<T>([](const auto& x, const auto&, const sy::options& o) {
         volatile bool r = sy::minmax(x, o).has_value(); (void)r; }), sy::op::minmax},
      {"count_if(gt)", on_input<T>([](const auto& x, const auto&, const sy::options& o) {
         volatile auto r = sy::count_if(x, sy::gt(T(1)), o); (void)r; }), sy::op::count_if},
  };
}

/// Nanoseconds per call of each variant: medians of interleaved samples, each
/// a batch of calls at least `min_ns` long (found by doubling; dropped).
std::vector<double> time_variants(const std::vector<std::function<void()>>& f, int reps, double min_ns) {
  std::vector<std::size_t> iters(f.size(), 1);
  auto batch = [&](std::size_t v) {
    const auto t0 = clock_type::now();
    for (std::size_t i = 0; i < iters[v]; ++i) f[v]();
    return std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
  };
  for (std::size_t v = 0; v < f.size(); ++v) {
    while (batch(v) < min_ns && iters[v] < (1u << 30)) iters[v] *= 2;
  }
  std::vector<std::vector<double>> s(f.size());
  for (int r = 0; r < reps; ++r) {
    for (std::size_t k = 0; k < f.size(); ++k) {
      const std::size_t v = (k + static_cast<std::size_t>(r)) % f.size();
      s[v].push_back(batch(v) / static_cast<double>(iters[v]));
      // Long enough for the workers a variant woke (oneTBB's, the worker
      // processes') to stop spinning, so that they do not slow the next one.
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  }
  std::vector<double> med;
  for (auto& x : s) med.push_back(switchyard::bench::median(x));
  return med;
}

double geomean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += std::log(v);
  return x.empty() ? 0 : std::exp(s / static_cast<double>(x.size()));
}

std::size_t index_of(sy::backend b) {
  return static_cast<std::size_t>(std::find(timed.begin(), timed.end(), b) - timed.begin());
}

/// The agreement of two calibrations: the share of (key, location, size)
/// points where their tables choose the same backend, outside near-ties
/// (points where either model's runner-up is within 10% of its choice).
double agreement(sd::engine_state& e, const sd::dispatch::profile& a, const sd::dispatch::profile& b,
                 std::size_t& compared) {
  const std::vector<sy::backend> cands = {sy::backend::serial, sy::backend::simd, sy::backend::threads,
                                          sy::backend::processes};
  std::size_t same = 0;
  compared = 0;
  const unsigned w = e.max_threads();
  for (std::size_t k = 0; k < sd::dispatch::key_count; ++k) {
    if (!sd::dispatch::is_canonical(k)) continue;
    for (const sd::memory m : {sd::memory::host, sd::memory::shared}) {
      for (std::size_t n = 16; n <= (std::size_t{1} << 31); n = n * 3 / 2) {
        const sd::dispatch::query q{sd::dispatch::key_at(k), m, n, w};
        const auto margin = [&](const sd::dispatch::profile& p) {
          std::vector<double> t;
          for (auto c : cands) {
            if (auto x = sd::dispatch::predict(p, c, q)) t.push_back(x->total());
          }
          std::sort(t.begin(), t.end());
          return t.size() > 1 ? t[1] / t[0] : 10.0;
        };
        if (margin(a) < 1.10 || margin(b) < 1.10) continue;
        ++compared;
        same += sd::dispatch::cheapest(a, cands, q) == sd::dispatch::cheapest(b, cands, q);
      }
    }
  }
  return compared ? static_cast<double>(same) / static_cast<double>(compared) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::size_t largest = std::size_t{2} << 30;
  std::size_t step = 2;
  std::string json_path, filter;
  sb::program_flags app{"dispatch_bench: the dispatcher's regret against every backend, on a grid"};
  app.flag("--quick", quick, "quick calibrations' repetitions, sizes up to 64 MiB");
  app.option("--largest-bytes", largest, "the grid's largest size in bytes");
  app.option("--sizes-every", step, "ratio of neighbouring sizes on the grid");
  app.allow("--sizes-every", {2, 4, 8});
  app.option("--json", json_path, "also write the points and figures to this file as JSON");
  app.option("--filter", filter, "only the grid points whose 'OP TYPE' contains this, e.g. 'sum float'");
  if (const auto rc = app.parse(argc, argv)) return *rc;
  if (quick && !app.given("--largest-bytes")) largest = std::size_t{64} << 20;
  sd::engine_state& e = sy::default_engine().state();

  // Calibration: full and quick, timed; two full ones compared.
  const auto fp = sd::dispatch::fingerprint_here(e);
  const auto t0 = clock_type::now();
  const auto full_a = sd::dispatch::calibrate(e, fp, {.quick = false, .budget_seconds = 10});
  const double full_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  const auto t1 = clock_type::now();
  const auto quick_p = sd::dispatch::calibrate(e, fp, {.quick = true, .budget_seconds = 2});
  const double quick_s = std::chrono::duration<double>(clock_type::now() - t1).count();
  const auto full_b = sd::dispatch::calibrate(e, fp, {.quick = false, .budget_seconds = 10});
  std::size_t compared = 0;
  const double agree = agreement(e, full_a, full_b, compared);
  std::size_t compared_quick = 0;
  const double agree_quick = agreement(e, full_a, quick_p, compared_quick);
  e.dispatch().use(full_a, "dispatch_bench's first full calibration");

  // One decision: choose() over 64 calls of varied sizes, warm.
  double decision_ns = 0;
  {
    std::vector<sd::call> calls;
    for (std::size_t i = 0; i < 64; ++i) {
      sd::call c{};
      c.op = i % 2 ? sy::op::sum : sy::op::argmin;
      c.type = sd::element_type::f32;
      c.n = std::size_t{1} << (4 + i % 24);
      c.element_bytes = 4;
      calls.push_back(c);
    }
    std::size_t sink = 0;
    for (int r = 0; r < 3; ++r) {
      const auto s = clock_type::now();
      constexpr std::size_t rounds = 200'000;
      for (std::size_t i = 0; i < rounds; ++i) {
        for (const auto& c : calls) sink += static_cast<std::size_t>(sd::choose(e, c, false).where);
      }
      const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - s).count() / (rounds * 64.0);
      decision_ns = r == 0 ? ns : std::min(decision_ns, ns);
    }
    if (sink == 42) std::puts("");
  }

  // The grid.
  std::vector<std::size_t> sizes;
  for (std::size_t b = 256; b <= largest; b *= step) sizes.push_back(b);
  std::unique_ptr<unsigned char[]> hx(new unsigned char[largest]), hy(new unsigned char[largest]);
  for (std::size_t i = 0; i < largest; ++i) hx[i] = hy[i] = static_cast<unsigned char>(0x20 + (i * 37 + i / 4096) % 32);

  struct type_cases {
    std::string name;
    std::size_t bytes;
    std::vector<op_case> ops;
    std::function<std::shared_ptr<void>(const void*, std::size_t)> make_shared;
  };
  const auto shared_of = []<class T>(T) {
    return [](const void* p, std::size_t n) -> std::shared_ptr<void> {
      return std::make_shared<sy::shared_array<T>>(std::span<const T>(static_cast<const T*>(p), n));
    };
  };
  const std::vector<type_cases> types = {{"float", 4, cases_for<float>(), shared_of(float{})},
                                         {"double", 8, cases_for<double>(), shared_of(double{})},
                                         {"int32", 4, cases_for<std::int32_t>(), shared_of(std::int32_t{})},
                                         {"uint8", 1, cases_for<std::uint8_t>(), shared_of(std::uint8_t{})}};
  std::vector<point> points;
  std::size_t remeasured = 0;
  const int reps = quick ? 5 : 7;
  for (const auto& t : types) {
    for (const auto& oc : t.ops) {
      if (!filter.empty() && (oc.name + " " + t.name).find(filter) == std::string::npos) continue;
      for (const bool shared : {false, true}) {
        for (const std::size_t bytes : sizes) {
          const std::size_t n = bytes / t.bytes;
          if (n == 0) continue;
          // shared_array's location is its type: each size gets arrays of
          // its own, copies of the host data.
          const void* x = hx.get();
          const void* y = hy.get();
          std::shared_ptr<void> ax, ay;
          if (shared) {
            ax = t.make_shared(hx.get(), n);
            ay = t.make_shared(hy.get(), n);
            x = ax.get();
            y = ay.get();
          }
          // serial, simd, threads and automatic interleaved; processes after
          // them, alone: its worker processes leave the scheduler's placement
          // of the other threads disturbed for milliseconds after a call,
          // which would slow whichever variant came next.
          std::vector<std::function<void()>> f;
          for (const auto b : timed) {
            if (b != sy::backend::processes) f.push_back([&, b, n] { oc.call(x, y, n, {.backend = b}, shared); });
          }
          f.push_back([&, n] { oc.call(x, y, n, {}, shared); });
          const double min_ns = bytes >= (std::size_t{256} << 20) ? 1 : (quick ? 1e6 : 2e6);
          const int r = bytes >= (std::size_t{512} << 20) ? 3 : reps;
          std::vector<double> ns = time_variants(f, r, min_ns);
          const double processes_ns = time_variants({[&, n] { oc.call(x, y, n, {.backend = sy::backend::processes}, shared); }},
                                                    r, min_ns)[0];
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          ns.insert(ns.begin() + static_cast<std::ptrdiff_t>(index_of(sy::backend::processes)), processes_ns);
          point p{oc.name, t.name, shared ? "shared_array" : "std::vector", bytes, n, ns, sy::backend::automatic};
          // What automatic chose there.
          sd::call c{};
          c.op = oc.op;
          c.type = t.name == "float" ? sd::element_type::f32
                   : t.name == "double" ? sd::element_type::f64
                   : t.name == "int32" ? sd::element_type::i32
                                        : sd::element_type::u8;
          c.where = shared ? sd::memory::shared : sd::memory::host;
          c.n = n;
          c.n_y = n;
          c.element_bytes = t.bytes;
          p.chosen = sd::choose(e, c, false).where;
          // A point where the choice looks slow is measured again, the
          // chosen backend against the best alone, with more repetitions: on
          // a shared two-core machine one batch can land in a slow spell.
          const std::size_t best_i = static_cast<std::size_t>(
              std::min_element(p.ns.begin(), p.ns.end() - 1) - p.ns.begin());
          const std::size_t chosen_i = index_of(p.chosen);
          if (chosen_i != best_i && p.ns[chosen_i] > 1.10 * p.ns[best_i]) {
            const auto again = time_variants({[&, n] { oc.call(x, y, n, {.backend = p.chosen}, shared); },
                                              [&, n] { oc.call(x, y, n, {.backend = timed[best_i]}, shared); }},
                                             2 * r + 1, min_ns);
            p.ns[chosen_i] = again[0];
            p.ns[best_i] = again[1];
            ++remeasured;
          }
          points.push_back(p);
          std::fprintf(stderr, "\r%-12s %-6s %-12s %12zu B", oc.name.c_str(), t.name.c_str(), p.location.c_str(), bytes);
        }
      }
    }
  }
  std::fprintf(stderr, "\n");

  // Scores.
  std::vector<double> regret, openblas, pytorch, end_to_end, overhead;
  double worst = 0;
  const point* worst_at = nullptr;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& p : points) {
    const double best = *std::min_element(p.ns.begin(), p.ns.end() - 1);
    // The regret of the choice: the chosen backend's time, forced, in the
    // same interleaved rounds; automatic's own time adds the decision and
    // its own noise, reported beside it.
    const double r = p.ns[index_of(p.chosen)] / best;
    end_to_end.push_back(p.ns.back() / best);
    overhead.push_back(p.ns.back() / p.ns[index_of(p.chosen)]);
    const double simd = p.ns[index_of(sy::backend::simd)], threads = p.ns[index_of(sy::backend::threads)];
    regret.push_back(r);
    openblas.push_back((p.n >= 10'000 ? threads : simd) / best);
    pytorch.push_back((p.n >= 32'768 ? threads : simd) / best);
    if (r > worst) {
      worst = r;
      worst_at = &p;
    }
    rows.push_back({{"op", p.op},
                    {"type", p.type},
                    {"location", p.location},
                    {"bytes", p.bytes},
                    {"ns", p.ns},
                    {"chosen", std::string(sy::to_string(p.chosen))},
                    {"regret", r},
                    {"end_to_end", p.ns.back() / best}});
  }
  std::printf("## Dispatcher regret (dispatch_bench%s)\n\n", quick ? " --quick" : "");
  if (points.empty()) std::printf("no grid point matches --filter '%s'\n\n", filter.c_str());
  std::printf("%zu points: {sum, argmin, dot, minmax, count_if(gt)} x {float, double, int32, uint8}%s x %zu sizes (256 B "
              "to %zu MiB, every power of 2) x {std::vector, shared_array}\n\n",
              points.size(), filter.empty() ? "" : (" matching '" + filter + "'").c_str(), sizes.size(), largest >> 20);
  if (!points.empty()) std::printf("| policy | max regret | geometric mean | points within 1.10 |\n|---|--:|--:|--:|\n");
  nlohmann::json policies = nlohmann::json::array();
  const auto row = [&](const char* name, const std::vector<double>& r) {
    if (r.empty()) return;
    const auto within = std::count_if(r.begin(), r.end(), [](double v) { return v <= 1.10; });
    policies.push_back({{"policy", name},
                        {"max_regret", *std::max_element(r.begin(), r.end())},
                        {"geomean_regret", geomean(r)},
                        {"within_1_10", within},
                        {"points", r.size()}});
    std::printf("| %s | %.2f | %.3f | %ld / %zu |\n", name, *std::max_element(r.begin(), r.end()), geomean(r),
                static_cast<long>(within), r.size());
  };
  row("automatic's choice (calibrated model)", regret);
  row("automatic, timed end to end (decision included)", end_to_end);
  row("threads from 10,000 elements (OpenBLAS dot)", openblas);
  row("threads from 32,768 elements (PyTorch grain)", pytorch);
  if (worst_at != nullptr) {
    std::printf("\nworst point: %s %s %s %zu B: automatic chose %s;", worst_at->op.c_str(), worst_at->type.c_str(),
                worst_at->location.c_str(), worst_at->bytes, std::string(sy::to_string(worst_at->chosen)).c_str());
    for (std::size_t i = 0; i < timed.size(); ++i) {
      std::printf(" %s %.0f ns", std::string(sy::to_string(timed[i])).c_str(), worst_at->ns[i]);
    }
    std::printf("; automatic %.0f ns\n", worst_at->ns.back());
  }
  std::printf("\n%zu points where the choice measured more than 1.10x the best were measured again (chosen against "
              "best, %d repetitions); the table holds the second measurement.\n",
              remeasured, 2 * (quick ? 5 : 7) + 1);
  std::printf("\nworst ten:\n");
  std::vector<const point*> order;
  for (const auto& p : points) order.push_back(&p);
  std::sort(order.begin(), order.end(), [](const point* a, const point* b) {
    return a->ns[index_of(a->chosen)] / *std::min_element(a->ns.begin(), a->ns.end() - 1) >
           b->ns[index_of(b->chosen)] / *std::min_element(b->ns.begin(), b->ns.end() - 1);
  });
  for (std::size_t i = 0; i < 10 && i < order.size(); ++i) {
    const point& p = *order[i];
    std::printf("  %.2f  %s %s %s %zu B chose %s:", p.ns[index_of(p.chosen)] / *std::min_element(p.ns.begin(), p.ns.end() - 1),
                p.op.c_str(), p.type.c_str(), p.location.c_str(), p.bytes, std::string(sy::to_string(p.chosen)).c_str());
    for (std::size_t b = 0; b < timed.size(); ++b) std::printf(" %s=%.0f", std::string(sy::to_string(timed[b])).c_str(), p.ns[b]);
    std::printf(" auto=%.0f\n", p.ns.back());
  }
  std::printf("\n| figure | value |\n|---|--:|\n");
  std::printf("| full calibration | %.2f s |\n| quick calibration | %.2f s |\n", full_s, quick_s);
  std::printf("| one decision (choose(), warm) | %.1f ns |\n", decision_ns);
  if (!overhead.empty()) {
    std::printf("| automatic / its choice forced, median over the grid | %.3f |\n", switchyard::bench::median(overhead));
  }
  std::printf("| two full calibrations agree | %.1f%% of %zu grid points outside near-ties |\n", 100 * agree, compared);
  std::printf("| full and quick calibrations agree | %.1f%% of %zu grid points outside near-ties |\n", 100 * agree_quick,
              compared_quick);
  if (!json_path.empty()) {
    nlohmann::json profile;
    sd::dispatch::to_json(full_a, profile);
    std::ofstream out(json_path);
    out << nlohmann::json{{"points", rows},
                          {"full_calibration_s", full_s},
                          {"quick_calibration_s", quick_s},
                          {"decision_ns", decision_ns},
                          {"agreement", agree},
                          {"agreement_points", compared},
                          {"quick_agreement", agree_quick},
                          {"automatic_over_choice_median", overhead.empty() ? 0.0 : switchyard::bench::median(overhead)},
                          {"policies", policies},
                          {"quick", quick},
                          {"profile", profile}}
               .dump(1);
  }
  return 0;
}
