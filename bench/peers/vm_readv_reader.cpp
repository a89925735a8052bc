// The process_vm_readv option for reducing a std::vector on the processes
// backend, measured without building it into the library: a process that
// reads [begin, end) of a float array in another process, chunk by chunk, into
// its own buffer and sums it with the SIMD kernel, as a worker would.
//   vm_readv_reader PID ADDRESS BEGIN END PASSES
// prints "<sum> <seconds of the fastest pass>".
#include <sys/uio.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/common/partials.hpp"
#include "kernels/simd/reduce_kernels.hpp"

int main(int argc, char** argv) {
  if (argc != 6) return 2;
  const pid_t pid = static_cast<pid_t>(std::strtol(argv[1], nullptr, 10));
  const auto* remote = reinterpret_cast<const float*>(std::strtoull(argv[2], nullptr, 16));
  const std::size_t begin = std::strtoull(argv[3], nullptr, 10), end = std::strtoull(argv[4], nullptr, 10);
  const int passes = std::atoi(argv[5]);
  constexpr std::size_t chunk = std::size_t{1} << 16;
  std::vector<float> buffer(chunk);
  double best = 1e30, total = 0;
  for (int pass = 0; pass < passes; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    total = 0;
    for (std::size_t i = begin; i < end; i += chunk) {
      const std::size_t n = std::min(chunk, end - i);
      iovec local{buffer.data(), n * sizeof(float)};
      iovec from{const_cast<float*>(remote + i), n * sizeof(float)};
      if (process_vm_readv(pid, &local, 1, &from, 1, 0) != static_cast<ssize_t>(n * sizeof(float))) {
        std::perror("process_vm_readv");
        return 1;
      }
      total += switchyard::kernels::finish(
          switchyard::kernels::simd::sum(buffer.data(), n, switchyard::accuracy::compensated, n));
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("%.17g %.9g\n", total, best);
  return 0;
}
