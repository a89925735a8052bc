// Calibration (calibrate.hpp). Sizes come from the topology: a tiny call for
// the fixed cost, half of L1 for a kernel's own speed, half of L2 per worker,
// a size inside L3 and one well beyond it for the bandwidths. Every timing is
// interleaved and a median (timing.hpp).
#include "calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include <switchyard/shared_array.hpp>

#include "core/src/engine_state.hpp"
#include "kernels/common/chunking.hpp"
#include "other_work.hpp"
#include "timing.hpp"

namespace switchyard::detail::dispatch {
namespace {

/// Host memory filled with small, normal values of every element type.
struct buffers {
  std::unique_ptr<unsigned char[]> host;
  std::optional<shared_region> shared;
  void* device = nullptr;
  device_memory* gpu = nullptr;
  std::size_t bytes = 0;

  explicit buffers(std::size_t n) : host(new unsigned char[n]), bytes(n) {
    // Bytes 0x20..0x3f make every float and double normal and well away
    // from overflow, and every count and extremum data-dependent.
    for (std::size_t i = 0; i < n; ++i) host[i] = static_cast<unsigned char>(0x20 + (i * 37 + i / 4096) % 32);
  }
  ~buffers() {
    if (device != nullptr) gpu->release(device);
  }
  buffers(const buffers&) = delete;
  buffers& operator=(const buffers&) = delete;

  const void* at(memory m) const {
    if (m == memory::shared) return shared->data();
    if (m == memory::device) return device;
    return host.get();
  }
};

class calibrator {
 public:
  calibrator(engine_state& e, const fingerprint& here, const calibration_plan& plan)
      : e_(e), plan_(plan), p_(default_profile(here)), start_(clock::now()) {
    p_.defaults = false;
    p_.quick = plan.quick;
    p_.workers = e.max_threads();
    timing_ = plan.quick ? timing_plan{5, 30'000} : timing_plan{9, 100'000};
    const double l3 = static_cast<double>(std::max(here.l3, 4 * here.l2));
    const double l2 = static_cast<double>(std::max<std::size_t>(here.l2, 64 * 1024));
    const double l1 = static_cast<double>(std::max<std::size_t>(here.l1, 16 * 1024));
    // The L3 point at most 8 MiB: a VM may report a whole socket's L3 (256
    // MiB on the Zen 3 build machine) while one core complex shares 32 MiB.
    // The DRAM point well beyond any L3 a core reaches, within the budget.
    const double dram = plan.quick ? 64.0 * (1 << 20) : 256.0 * (1 << 20);
    p_.points.bytes = {l1 / 2, l2 / 2, std::min(l3 / 2, 8.0 * (1 << 20)), dram};
  }

  /// Starts from `p` (drift recovery re-measures parts of it).
  calibrator(engine_state& e, const profile& p)
      : e_(e), plan_{false, 1e9}, p_(p), start_(clock::now()), timing_{9, 100'000} {}

  /// One kernel's rates on serial and simd, and, when `b` spreads chunks,
  /// its fixed cost for host data: what drift recovery re-measures.
  profile remeasure(kernel_key k, backend b) {
    buffers buf(static_cast<std::size_t>(std::max(p_.points.bytes[0], 4.0 * kernels::chunk_elements * p_.workers)));
    measure_kernel(buf, index_of(k));
    if (b == backend::threads && usable(b)) p_.threads.fixed_ns.fill(parallel_fixed(buf, b, memory::host));
    return p_;
  }

  profile run() {
    const other_work_meter meter;
    buffers b(static_cast<std::size_t>(p_.points.bytes[3]));
    measure_in_process(b);
    // The processes backend's workers would count as other programs.
    if (const auto others = meter.close()) p_.others = *others;
    if (over_budget()) return finish();
    if (usable(backend::processes)) {
      b.shared.emplace(b.bytes, "switchyard-calibration");
      std::memcpy(b.shared->data(), b.host.get(), b.bytes);
      p_.processes = measure_parallel(b, backend::processes, {memory::shared, memory::host});
      // Worker processes read the same memory with the same kernels on the
      // same cores as threads: more bandwidth than threads measured is noise.
      for (auto& at : p_.processes.gbs) {
        for (std::size_t l = 0; l < level_count; ++l) {
          at[l] = std::min(at[l], p_.threads.gbs[static_cast<std::size_t>(memory::host)][l]);
        }
      }
    }
    if (over_budget()) return finish();
    if (usable(backend::cuda)) {
      if (device_memory* gpu = e_.backend_for(backend::cuda).memory_on_device();
          gpu != nullptr && gpu->allocate(b.bytes, &b.device).ok()) {
        b.gpu = gpu;
        if (gpu->copy_to_device(b.device, b.host.get(), b.bytes).ok()) {
          p_.cuda = measure_parallel(b, backend::cuda, {memory::device, memory::host});
        }
      }
    }
    return finish();
  }

 private:
  /// Everything this process runs itself, in the order the budget favours.
  void measure_in_process(const buffers& b) {
    measure_kernels(b);
    if (over_budget()) return;
    // With threads to measure, one thread's L3 and DRAM points are timed
    // beside theirs (measure_parallel), not here as well; past the budget
    // they keep the default profile's figures, as any point not reached.
    const bool with_threads = usable(backend::threads) && p_.workers > 1;
    measure_stream(b, with_threads ? 2 : level_count);
    if (over_budget()) return;
    if (with_threads) p_.threads = measure_parallel(b, backend::threads, {memory::host});
    if (over_budget()) return;
    measure_callables(b);
  }

  bool usable(backend b) const { return e_.status(b).available; }
  bool over_budget() const { return seconds() > plan_.budget_seconds; }
  double seconds() const { return std::chrono::duration<double>(clock::now() - start_).count(); }

  profile finish() {
    p_.calibration_seconds = seconds();
    return p_;
  }

  static kernels::reduction reduction_of(kernel_key k, const void* data, std::size_t bytes) {
    const std::size_t inputs = k.op == op_kind::dot ? 2 : 1;
    const std::size_t n = bytes / (element_bytes(k.type) * inputs);
    const auto* x = static_cast<const unsigned char*>(data);
    return {k.op, k.type, k.mode, comparison::greater, 0, x, inputs == 2 ? x + n * element_bytes(k.type) : nullptr, n};
  }

  /// A call of `bytes` (n rounded down to whole elements) on b.
  auto reducer(backend b, kernel_key k, const buffers& buf, memory where, std::size_t bytes) {
    const placement pl{where, false, p_.workers, &e_.backend_for(backend::threads)};
    return [this, b, r = reduction_of(k, buf.at(where), bytes), pl]() {
      alignas(64) unsigned char partial[64];
      (void)e_.backend_for(b).reduce(r, pl, partial);
    };
  }

  /// Each kernel on serial and simd at four sizes up to half of L1: its
  /// fixed cost and speed, fitted by Theil-Sen.
  void measure_kernels(const buffers& buf) {
    for (std::size_t i = 0; i < key_count && !over_budget(); ++i) {
      if (is_canonical(i)) measure_kernel(buf, i);
    }
  }

  void measure_kernel(const buffers& buf, std::size_t i) {
    const kernel_key k = key_at(i);
    const std::size_t unit = element_bytes(k.type) * (k.op == op_kind::dot ? 2 : 1);
    const std::size_t l1 = static_cast<std::size_t>(p_.points.bytes[0]) / unit * unit;
    // Two small sizes, where serial and simd are close, and two in L1.
    const std::vector<std::size_t> sizes = {calibration_tiny_elements * unit, 4 * calibration_tiny_elements * unit,
                                            l1 / 4 / unit * unit, l1};
    auto s0 = reducer(backend::serial, k, buf, memory::host, sizes[0]);
    auto s1 = reducer(backend::serial, k, buf, memory::host, sizes[1]);
    auto s2 = reducer(backend::serial, k, buf, memory::host, sizes[2]);
    auto s3 = reducer(backend::serial, k, buf, memory::host, sizes[3]);
    auto v0 = reducer(backend::simd, k, buf, memory::host, sizes[0]);
    auto v1 = reducer(backend::simd, k, buf, memory::host, sizes[1]);
    auto v2 = reducer(backend::simd, k, buf, memory::host, sizes[2]);
    auto v3 = reducer(backend::simd, k, buf, memory::host, sizes[3]);
    const auto t = time_interleaved({s0, s1, s2, s3, v0, v1, v2, v3}, timing_);
    p_.serial[i] = fit(sizes, {t[0], t[1], t[2], t[3]});
    p_.simd[i] = fit(sizes, {t[4], t[5], t[6], t[7]});
  }

  /// {intercept, slope} of t over x by Theil-Sen: the median of pairwise
  /// slopes, then the median intercept; one wild sample moves neither.
  static std::pair<double, double> theil_sen(const std::vector<double>& x, const std::vector<double>& t) {
    std::vector<double> slopes, intercepts;
    for (std::size_t a = 0; a < x.size(); ++a) {
      for (std::size_t c = a + 1; c < x.size(); ++c) slopes.push_back((t[c] - t[a]) / (x[c] - x[a]));
    }
    const double slope = median_of(slopes);
    for (std::size_t a = 0; a < x.size(); ++a) intercepts.push_back(t[a] - x[a] * slope);
    return {median_of(intercepts), slope};
  }

  /// time = fixed + bytes / gbs, by Theil-Sen.
  static kernel_rate fit(const std::vector<std::size_t>& bytes, const std::vector<double>& t) {
    const std::vector<double> x(bytes.begin(), bytes.end());
    auto [fixed, ns_per_byte] = theil_sen(x, t);
    // A slope no kernel reaches (noise at tiny sizes): the whole call's rate.
    if (!(ns_per_byte > 0)) {
      ns_per_byte = t.back() / x.back();
      fixed = 0;
    }
    return {std::max(0.0, fixed), 1.0 / ns_per_byte, true};
  }

  /// The bandwidth probe: a kernel that streams at memory speed on every
  /// machine measured (the fast float sum), fixed so that two calibrations
  /// measure the same thing.
  static kernel_key probe_key() { return {op_kind::sum, element_type::f32, accuracy::fast}; }

  /// One thread's streaming bandwidth at L2 and, below level `end`, L3 and
  /// beyond: the slope between half of each point and the whole.
  void measure_stream(const buffers& buf, std::size_t end) {
    const kernel_key k = probe_key();
    p_.stream_gbs[0] = p_.simd[index_of(k)].gbs;
    for (std::size_t l = 1; l < end && !over_budget(); ++l) {
      const std::size_t bytes = static_cast<std::size_t>(p_.points.bytes[l]);
      auto half = reducer(backend::simd, k, buf, memory::host, bytes / 2);
      auto all = reducer(backend::simd, k, buf, memory::host, bytes);
      const auto t = time_interleaved({half, all}, timing_);
      p_.stream_gbs[l] = static_cast<double>(bytes - bytes / 2) / std::max(1.0, t[1] - t[0]);
    }
  }

  /// Byte chunks are the smallest: four rounds of them stay in each
  /// worker's L2, where time grows in a straight line whose intercept is the
  /// fixed cost.
  double parallel_fixed(const buffers& buf, backend b, memory m) {
    const kernel_key small{op_kind::sum, element_type::u8, accuracy::fast};
    const std::size_t small_round = kernels::chunk_elements * p_.workers;
    auto r1 = reducer(b, small, buf, m, small_round);
    auto r2 = reducer(b, small, buf, m, 2 * small_round);
    auto r3 = reducer(b, small, buf, m, 3 * small_round);
    auto r4 = reducer(b, small, buf, m, 4 * small_round);
    return std::max(0.0, theil_sen({1, 2, 3, 4}, time_interleaved({r1, r2, r3, r4}, timing_)).first);
  }

  /// A chunked (or GPU) backend, per data location. Its fixed cost: the
  /// intercept of 1 to 4 rounds of byte chunks (Theil-Sen).
  /// In L3 and DRAM, the bandwidth its workers share: the slope between half
  /// of and the whole L3 and DRAM points.
  parallel_rates measure_parallel(const buffers& buf, backend b, std::initializer_list<memory> locations) {
    parallel_rates r;
    const kernel_key k = probe_key();
    const std::size_t round = kernels::chunk_elements * element_bytes(k.type) * p_.workers;
    for (const memory m : locations) {
      const std::size_t i = static_cast<std::size_t>(m);
      r.fixed_ns[i] = parallel_fixed(buf, b, m);
      // L1 and L2 are each core's own: the workers do not share them.
      r.gbs[i][0] = p_.workers * p_.stream_gbs[0];
      r.gbs[i][1] = p_.workers * p_.stream_gbs[1];
      for (std::size_t l = 2; l < level_count && !over_budget(); ++l) {
        const std::size_t whole =
            std::max(2 * round, static_cast<std::size_t>(p_.points.bytes[l]) / (2 * round) * (2 * round));
        auto half = reducer(b, k, buf, m, whole / 2);
        auto all = reducer(b, k, buf, m, whole);
        if (b != backend::threads) {
          const auto th = time_interleaved({half, all}, timing_);
          r.gbs[i][l] = static_cast<double>(whole / 2) / std::max(1.0, th[1] - th[0]);
          continue;
        }
        // The threads and one thread (measure_stream's figure at these
        // levels) in the same rounds: a spell of the machine's (a neighbour's
        // memory traffic, a slower draw of a guest's cores) then slows both,
        // and their ratio, which decides automatic's choice between them,
        // holds. Measured apart, one quick calibration in seven on the Zen 4
        // guest put two threads below one in DRAM (23.7 against 27.8 GB/s),
        // and its kept profile sent every large call to simd (docs/PERF.md,
        // "The widening on Zen 4").
        const std::size_t bytes = static_cast<std::size_t>(p_.points.bytes[l]);
        auto one_half = reducer(backend::simd, k, buf, m, bytes / 2);
        auto one_all = reducer(backend::simd, k, buf, m, bytes);
        const auto th = time_interleaved({half, all, one_half, one_all}, timing_);
        r.gbs[i][l] = static_cast<double>(whole / 2) / std::max(1.0, th[1] - th[0]);
        p_.stream_gbs[l] = static_cast<double>(bytes - bytes / 2) / std::max(1.0, th[3] - th[2]);
      }
      // A GPU has no use for the host's per-core caches: below the L3 point
      // it reads as fast as there.
      if (b == backend::cuda) r.gbs[i][0] = r.gbs[i][1] = r.gbs[i][2];
    }
    // Memory the backend reads the same way shares the figures measured.
    const auto copy = [&](memory to, memory from) {
      r.fixed_ns[static_cast<std::size_t>(to)] = r.fixed_ns[static_cast<std::size_t>(from)];
      r.gbs[static_cast<std::size_t>(to)] = r.gbs[static_cast<std::size_t>(from)];
    };
    if (b == backend::threads) copy(memory::shared, memory::host);
    copy(memory::pinned, memory::host);
    r.measured = true;
    return r;
  }

  /// A caller's callable (x -> x * x over doubles) on serial and on threads.
  void measure_callables(const buffers& buf) {
    if (!usable(backend::threads)) return;
    const auto* x = reinterpret_cast<const double*>(buf.host.get());
    constexpr std::size_t chunks = 16;
    std::vector<double> partial(chunks);
    auto body = [&](std::size_t c) {
      double s = 0;
      for (std::size_t i = c * generic_chunk_elements; i < (c + 1) * generic_chunk_elements; ++i) s += x[i] * x[i];
      partial[c] = s;
    };
    if (buf.bytes < chunks * generic_chunk_elements * sizeof(double)) return;
    auto serial = [&] { (void)e_.backend_for(backend::serial).run_chunks(chunks, 1, body); };
    auto threads = [&] { (void)e_.backend_for(backend::threads).run_chunks(chunks, p_.workers, body); };
    const auto t = time_interleaved({serial, threads}, timing_);
    const double n = static_cast<double>(chunks * generic_chunk_elements);
    p_.callable_ns_per_element = t[0] / n;
    p_.callable_threads_fixed_ns = std::max(0.0, t[1] - t[0] / p_.workers);
  }

  engine_state& e_;
  calibration_plan plan_;
  profile p_;
  clock::time_point start_;
  timing_plan timing_;
};

}  // namespace

profile calibrate(engine_state& e, const fingerprint& here, const calibration_plan& plan) {
  return calibrator(e, here, plan).run();
}

profile remeasure(engine_state& e, const profile& p, kernel_key k, backend b) {
  return calibrator(e, p).remeasure(k, b);
}

}  // namespace switchyard::detail::dispatch
