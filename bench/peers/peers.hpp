// The tools a user would otherwise pick, each compiled in its own file with
// the flags that make it a fair peer (see bench/CMakeLists.txt).
#pragma once

#include <cstddef>

namespace switchyard::bench {

/// std::accumulate in float, built with plain -O2 (what most builds ship).
float accumulate_o2(const float* p, std::size_t n);

/// `#pragma omp simd reduction(+:s)`, built with -O3 -march=native -fopenmp-simd.
float omp_simd_native(const float* p, std::size_t n);

/// The same loop on `threads` std::threads, each over a contiguous share:
/// the plain read loop whose bandwidth the threads backend is held to.
float read_loop_threads(const float* p, std::size_t n, unsigned threads);

/// Eight vector accumulators written by hand, for AVX-512 or AVX2 (target
/// attributes, chosen at run time): the machine's practical limit.
float handwritten_sum(const float* p, std::size_t n);
/// The same floats summed in double lanes (each widened, then added; eight
/// accumulators): the practical limit of the default accuracy's float sum.
double handwritten_widened_sum(const float* p, std::size_t n);
/// "avx512", "avx2" or "scalar": the loop handwritten_sum runs here.
const char* handwritten_sum_isa();
/// The same on `threads` threads (sum_in_shares).
float handwritten_sum_threads(const float* p, std::size_t n, unsigned threads);

/// sum(p, n) over `threads` std::threads, each a contiguous share, the
/// shares' sums added in order: how the peers above run on several cores.
float sum_in_shares(float (*sum)(const float*, std::size_t), const float* p, std::size_t n, unsigned threads);

/// std::reduce(std::execution::par_unseq, ...), libstdc++'s oneTBB backend,
/// built with -O3 -march=native -fopenmp-simd (without -fopenmp-simd its
/// unseq part runs scalar code).
float std_reduce_par_unseq(const float* p, std::size_t n);

}  // namespace switchyard::bench
