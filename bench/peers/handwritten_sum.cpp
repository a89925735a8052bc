// Peer: the float sum an HPC programmer writes by hand, eight independent
// vector accumulators (enough to cover the add's latency on every x86 core
// we run on), compiled for AVX-512 and for AVX2 with target attributes and
// chosen at run time (not -march=native, so the binary runs anywhere). It
// is this machine's practical limit for the sum, the figure every reduction
// is held to, so it reads ahead of a long input as fast as we know how on
// this CPU (kernels/common/cpu_tuning.hpp says why CPUs differ): on AMD
// a line 16 KiB ahead once per 4 KiB page (on a virtual machine every page
// otherwise starts cold; docs/PERF.md, "A page ahead": over 2 GiB on one
// Zen 5 core 4-22% faster), on Intel every line 2 KiB ahead, a KiB at a
// time (docs/PERF.md, "Every line ahead on Intel": 4% faster there than a
// touch per page, for the plain sum too), and on Zen 4 nothing: its
// prefetchers alone read 1 GiB on one core 1.4x as fast as with a touch
// per page (docs/PERF.md, "Zen 4's prefetchers").
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/common/cpu_tuning.hpp"
#include "peers.hpp"

namespace switchyard::bench {
namespace {

constexpr std::size_t line_floats = 16;

struct read_ahead {
  std::size_t from_floats;   // inputs this long or longer are read ahead
  std::size_t run_floats;    // a run of turns, begun by the touches
  std::size_t ahead_floats;  // the first line touched, past the run's start
  std::size_t lines;         // lines touched per run
};

/// AMD: from the library's chunk (65,536 floats) on. Intel: from 4 MiB, past
/// the L2 cache, since its touches (a loop of them, which read 2 GiB a few
/// percent faster than the library's unrolled ones) cost time in cache. Zen
/// 4 (the kernels' tuning for it touches one stream nowhere): never.
const read_ahead& this_cpus_read_ahead() {
  static const read_ahead r = [] {
    namespace k = kernels;
    const k::cpu_identity cpu = k::this_cpu();
    if (cpu.vendor == k::cpu_identity::maker::intel) return read_ahead{std::size_t{1} << 20, 256, 512, 16};
    if (k::cpu_tuning_for(cpu).stream == k::stream_policy::page_ahead_for_pairs) {
      return read_ahead{SIZE_MAX, 1024, 4096, 1};
    }
    return read_ahead{65536, 1024, 4096, 1};
  }();
  return r;
}

/// Declares i and runs turn for i = 0, step, ... while i + step <= n (step
/// divides a run), touching lines ahead once per run of a long input;
/// leaves i at the first element not run. A macro, not a function taking a
/// lambda: a lambda in a target-attributed function is not compiled for
/// that target.
#define SWITCHYARD_RUNS_OF_TURNS(p, n, step, i, turn)                                       \
  std::size_t i = 0;                                                                         \
  if (const read_ahead r = this_cpus_read_ahead(); (n) >= r.from_floats) {                   \
    for (; i + r.run_floats <= (n);) {                                                       \
      if (i + r.ahead_floats + (r.lines - 1) * line_floats < (n)) {                          \
        for (std::size_t l = 0; l < r.lines; ++l)                                            \
          _mm_prefetch(reinterpret_cast<const char*>((p) + i + r.ahead_floats + l * line_floats), _MM_HINT_T0); \
      }                                                                                      \
      for (const std::size_t stop = i + r.run_floats; i < stop; i += (step)) turn;           \
    }                                                                                        \
  }                                                                                          \
  for (; i + (step) <= (n); i += (step)) turn

// Each loop over the accumulators is unrolled by a pragma, which keeps them
// in registers: as loops over an array, GCC 12 zeroed them with `rep stosq`
// and read them back from the stack after the main loop, and a 1 KiB sum on
// the Zen 1 guest took 47.5 ns instead of 21 (docs/PERF.md, "A small call's
// stall"). What a programmer writes, compiled as they would want it.
__attribute__((target("avx512f"))) float sum_avx512(const float* p, std::size_t n) {
  __m512 a[8];
  _Pragma("GCC unroll 8") for (auto& x : a) x = _mm512_setzero_ps();
  SWITCHYARD_RUNS_OF_TURNS(p, n, 128, i, {
    _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) a[k] = _mm512_add_ps(a[k], _mm512_loadu_ps(p + i + 16 * k));
  });
  for (; i + 16 <= n; i += 16) a[0] = _mm512_add_ps(a[0], _mm512_loadu_ps(p + i));
  const __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[1]), _mm512_add_ps(a[2], a[3])),
                                 _mm512_add_ps(_mm512_add_ps(a[4], a[5]), _mm512_add_ps(a[6], a[7])));
  float total = _mm512_reduce_add_ps(s);
  for (; i < n; ++i) total += p[i];
  return total;
}

__attribute__((target("avx2"))) float sum_avx2(const float* p, std::size_t n) {
  __m256 a[8];
  _Pragma("GCC unroll 8") for (auto& x : a) x = _mm256_setzero_ps();
  SWITCHYARD_RUNS_OF_TURNS(p, n, 64, i, {
    _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) a[k] = _mm256_add_ps(a[k], _mm256_loadu_ps(p + i + 8 * k));
  });
  for (; i + 8 <= n; i += 8) a[0] = _mm256_add_ps(a[0], _mm256_loadu_ps(p + i));
  const __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])),
                                 _mm256_add_ps(_mm256_add_ps(a[4], a[5]), _mm256_add_ps(a[6], a[7])));
  const __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
  float total = _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
  for (; i < n; ++i) total += p[i];
  return total;
}

// Floats summed in double lanes, as the default accuracy sums them: each
// element widened (vcvtps2pd) and added, the add written as a multiply-add
// by 1.0 (the same rounding: the term is exact) so that it runs on the FMA
// pipes and leaves the add pipes to the conversion, which shares them on
// AMD's cores, except on Zen 1, which runs it slower than an add, and where
// the library adds plain too (cpu_tuning.hpp, add_form). Its speed in
// cache is the conversion's throughput, the limit of that mode on this
// machine.
__attribute__((target("avx512f"))) double widened_avx512(const float* p, std::size_t n) {
  __m512d a[8];
  _Pragma("GCC unroll 8") for (auto& x : a) x = _mm512_setzero_pd();
  const __m512d one = _mm512_set1_pd(1.0);
  SWITCHYARD_RUNS_OF_TURNS(p, n, 64, i, {
    _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) {
      a[k] = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_loadu_ps(p + i + 8 * k)), one, a[k]);
    }
  });
  const __m512d s = _mm512_add_pd(_mm512_add_pd(_mm512_add_pd(a[0], a[1]), _mm512_add_pd(a[2], a[3])),
                                  _mm512_add_pd(_mm512_add_pd(a[4], a[5]), _mm512_add_pd(a[6], a[7])));
  double total = _mm512_reduce_add_pd(s);
  for (; i < n; ++i) total += p[i];
  return total;
}

template <bool kFused>
__attribute__((target("avx2,fma"))) double widened_avx2(const float* p, std::size_t n) {
  __m256d a[8];
  _Pragma("GCC unroll 8") for (auto& x : a) x = _mm256_setzero_pd();
  const __m256d one = _mm256_set1_pd(1.0);
  SWITCHYARD_RUNS_OF_TURNS(p, n, 32, i, {
    _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) {
      const __m256d term = _mm256_cvtps_pd(_mm_loadu_ps(p + i + 4 * k));
      a[k] = kFused ? _mm256_fmadd_pd(term, one, a[k]) : _mm256_add_pd(a[k], term);
    }
  });
  const __m256d s = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(a[0], a[1]), _mm256_add_pd(a[2], a[3])),
                                  _mm256_add_pd(_mm256_add_pd(a[4], a[5]), _mm256_add_pd(a[6], a[7])));
  const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  double total = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; i < n; ++i) total += p[i];
  return total;
}

double widened_scalar(const float* p, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

float sum_scalar(const float* p, std::size_t n) {
  float s = 0.0f;
  for (std::size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

using sum_fn = float (*)(const float*, std::size_t);
using widened_fn = double (*)(const float*, std::size_t);

struct chosen {
  sum_fn fn;
  widened_fn widened;
  widened_fn widened_short;  // an input under kernels::long_stream_bytes
  const char* isa;
};

/// The widened loop as fast as this CPU runs it: on Zen 4 (its tuning's
/// widening_on_avx2, kernels/common/cpu_tuning.hpp) the AVX2 loop in cache,
/// where its conversions of 4 floats run at 1.6x the rate of the AVX-512
/// loop's of 8, and the AVX-512 loop from memory, as the library does.
chosen choose() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    const bool short_on_avx2 = kernels::cpu_tuning_for(kernels::this_cpu()).widening_on_avx2;
    return {sum_avx512, widened_avx512, short_on_avx2 ? widened_avx2<true> : widened_avx512, "avx512"};
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    const widened_fn widened = __builtin_cpu_is("znver1") ? widened_avx2<false> : widened_avx2<true>;
    return {sum_avx2, widened, widened, "avx2"};
  }
  return {sum_scalar, widened_scalar, widened_scalar, "scalar"};
}

const chosen& the_loop() {
  static const chosen c = choose();
  return c;
}

}  // namespace

#undef SWITCHYARD_RUNS_OF_TURNS

float handwritten_sum(const float* p, std::size_t n) { return the_loop().fn(p, n); }

double handwritten_widened_sum(const float* p, std::size_t n) {
  const chosen& c = the_loop();
  return (n < kernels::long_stream_bytes / sizeof(float) ? c.widened_short : c.widened)(p, n);
}

const char* handwritten_sum_isa() { return the_loop().isa; }

float handwritten_sum_threads(const float* p, std::size_t n, unsigned threads) {
  return sum_in_shares(handwritten_sum, p, n, threads);
}

}  // namespace switchyard::bench
