// A process's first calls, each timed alone: what Google Benchmark's warm-up
// hides. A process's first 1 GiB float sum of a std::vector on the cuda
// backend (staged through pinned buffers) took 3-5x a later one's time on an
// H200 machine; this separates the parts of that path:
//   sum         switchyard::sum(v, cuda): the whole staged path
//   h2d         cudaMemcpy of 1 GiB from pinned memory: the link alone
//   copy        the staging copy alone: 1 GiB of the vector into a ring of
//               three pinned chunks, in the staging's pieces on the engine's
//               threads
//   pipe        the copy and the link together, as the staged sum runs them
//               (chunk k+1 copied while chunk k crosses), without the kernel
//   pipe_nt     the same with the copy's stores non-temporal
//   pin         three chunk buffers page-locked (cudaMallocHost), kept
//   small_host  switchyard::sum of 1 MiB of the vector on cuda
//   small_device switchyard::sum of a 1 MiB device_array (its first call
//               also copies it there)
// Usage: cuda_first_calls STEP[,STEP...] [CALLS]   (each step CALLS times,
// default 6, in one process; run each order in a fresh process).
// Exits 77, saying why, without a GPU.
#include <cuda_runtime.h>
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "backends/cuda/staging.cuh"
#include "core/src/compute_backend.hpp"
#include "core/src/engine_state.hpp"

namespace sy = switchyard;
namespace syc = switchyard::backends::cuda;

namespace {

constexpr std::size_t gib = std::size_t{1} << 30;
constexpr std::size_t chunk = syc::stream_chunk_bytes;
constexpr std::size_t piece = syc::staging_piece_bytes;
constexpr std::size_t lanes = 3;
constexpr std::size_t small = (std::size_t{1} << 20) / sizeof(float);

void must(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "cuda_first_calls: %s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

/// One piece copied with streaming stores: the pinned destination is not
/// read first (no read-for-ownership) and does not evict the source.
__attribute__((target("avx2"))) void copy_streaming(char* to, const char* from, std::size_t bytes) {
  std::size_t i = 0;
  for (; i + 128 <= bytes; i += 128) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i + 32));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i + 64));
    const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i + 96));
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i), a);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i + 32), b);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i + 64), c);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(to + i + 96), d);
  }
  std::memcpy(to + i, from + i, bytes - i);
  _mm_sfence();
}

struct state {
  std::vector<float> host;
  char* pinned = nullptr;  // the ring: lanes chunks
  char* device = nullptr;  // lanes chunks
  float* pinned_all = nullptr;
  float* device_all = nullptr;
  cudaStream_t streams[lanes]{};
  cudaEvent_t done[lanes]{};
  sy::detail::compute_backend* threads = nullptr;
  std::vector<void*> pinned_more;                      // pin's buffers, kept
  std::optional<sy::device_array<float>> small_device;  // made on small_device's first call
};

/// The staging's own copy (syc::parallel_copy), or the same pieces on the
/// same threads with streaming stores.
void staging_copy(state& s, char* to, const char* from, std::size_t bytes, bool streaming) {
  if (!streaming) return syc::parallel_copy(to, from, bytes, s.threads);
  if (!__builtin_cpu_supports("avx2")) {
    std::fprintf(stderr, "cuda_first_calls: the streaming-store steps need AVX2, which this CPU lacks\n");
    std::exit(2);
  }
  const std::size_t pieces = (bytes + piece - 1) / piece;
  auto copy_piece = [&](std::size_t i) {
    const std::size_t begin = i * piece;
    copy_streaming(to + begin, from + begin, std::min(piece, bytes - begin));
  };
  sy::detail::throw_if_failed(s.threads->run_chunks(pieces, ~0u, copy_piece));
}

void pipe(state& s, bool streaming) {
  const auto* from = reinterpret_cast<const char*>(s.host.data());
  for (std::size_t k = 0; k * chunk < gib; ++k) {
    const std::size_t l = k % lanes;
    if (k >= lanes) must(cudaEventSynchronize(s.done[l]), "cudaEventSynchronize");
    staging_copy(s, s.pinned + l * chunk, from + k * chunk, chunk, streaming);
    must(cudaMemcpyAsync(s.device + l * chunk, s.pinned + l * chunk, chunk, cudaMemcpyHostToDevice, s.streams[l]),
         "cudaMemcpyAsync");
    must(cudaEventRecord(s.done[l], s.streams[l]), "cudaEventRecord");
  }
  for (auto* st : s.streams) must(cudaStreamSynchronize(st), "cudaStreamSynchronize");
}

void run_step(state& s, const std::string& step) {
  const auto* from = reinterpret_cast<const char*>(s.host.data());
  if (step == "sum") {
    volatile float r = sy::sum(s.host, {.backend = sy::backend::cuda});
    (void)r;
  } else if (step == "pin") {
    for (std::size_t l = 0; l < lanes; ++l) {
      void* p = nullptr;
      must(cudaMallocHost(&p, chunk), "cudaMallocHost");
      s.pinned_more.push_back(p);
    }
  } else if (step == "small_host") {
    volatile float r = sy::sum(std::span<const float>(s.host.data(), small), {.backend = sy::backend::cuda});
    (void)r;
  } else if (step == "small_device") {
    if (!s.small_device) s.small_device.emplace(std::span<const float>(s.host.data(), small));
    volatile float r = sy::sum(*s.small_device);
    (void)r;
  } else if (step == "h2d") {
    must(cudaMemcpy(s.device_all, s.pinned_all, gib, cudaMemcpyHostToDevice), "cudaMemcpy");
  } else if (step == "copy") {
    for (std::size_t k = 0; k * chunk < gib; ++k) staging_copy(s, s.pinned + k % lanes * chunk, from + k * chunk, chunk, false);
  } else if (step == "copy_nt") {
    for (std::size_t k = 0; k * chunk < gib; ++k) staging_copy(s, s.pinned + k % lanes * chunk, from + k * chunk, chunk, true);
  } else if (step == "pipe") {
    pipe(s, false);
  } else if (step == "pipe_nt") {
    pipe(s, true);
  } else {
    std::fprintf(stderr, "cuda_first_calls: unknown step %s\n", step.c_str());
    std::exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cuda_first_calls STEP[,STEP...] [CALLS]\n");
    return 2;
  }
  const auto t_start = std::chrono::steady_clock::now();
  if (const auto a = sy::availability(sy::backend::cuda); !a.available) {
    std::fprintf(stderr, "cuda_first_calls: not run: %s\n", a.reason.c_str());
    return 77;
  }
  const int calls = argc > 2 ? std::atoi(argv[2]) : 6;
  state s;
  s.host.assign(gib / sizeof(float), 1.0f);
  s.threads = &sy::default_engine().state().backend_for(sy::backend::threads);
  must(cudaMallocHost(&s.pinned, lanes * chunk), "cudaMallocHost");
  must(cudaMallocHost(&s.pinned_all, gib), "cudaMallocHost");
  std::memset(s.pinned_all, 0, gib);
  must(cudaMalloc(&s.device, lanes * chunk), "cudaMalloc");
  must(cudaMalloc(&s.device_all, gib), "cudaMalloc");
  for (std::size_t l = 0; l < lanes; ++l) {
    must(cudaStreamCreateWithFlags(&s.streams[l], cudaStreamNonBlocking), "cudaStreamCreate");
    must(cudaEventCreateWithFlags(&s.done[l], cudaEventDisableTiming), "cudaEventCreate");
  }
  std::printf("setup    %7.2f ms (the module, the context, 1 GiB pinned and on the device)\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_start).count());
  std::stringstream steps(argv[1]);
  for (std::string step; std::getline(steps, step, ',');) {
    std::printf("%-8s", step.c_str());
    for (int c = 0; c < calls; ++c) {
      const auto t0 = std::chrono::steady_clock::now();
      run_step(s, step);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::printf(" %7.2f", ms);
    }
    std::printf("  ms per 1 GiB call\n");
    std::fflush(stdout);
  }
  return 0;
}
