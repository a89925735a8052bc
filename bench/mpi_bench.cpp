// switchyard::mpi's costs, run under mpirun on any number of ranks (the
// script bench/mpi_scaling.sh runs 1..4 and joins the tables):
//  - strong scaling: one input of --strong-mib split evenly;
//  - weak scaling: --weak-mib per rank;
//  - for each, plain and deterministic mpi::sum, and the local sum of the same
//    part alone, so the cross-rank step's share is (mpi - local) / mpi;
//  - the fixed cost: mpi::sum of 1,000 floats per rank;
//  - the peer a user would write instead: the local sum, then MPI_Allreduce
//    of the one float (rank-order-free, split-dependent bits).
// Each figure is the median over --repetitions of the slowest rank's time
// (ranks start together at a barrier). One line per figure on rank 0:
//   ranks  case  bytes_per_rank  plain_ms  deterministic_ms  local_ms  allreduce_peer_ms
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <switchyard/engine.hpp>
#include <switchyard/mpi.hpp>
#include <switchyard/reduce.hpp>

#include "support/program_flags.hpp"

namespace sy = switchyard;

namespace {

struct setup {
  int rank = 0;
  int ranks = 1;
  int repetitions = 11;
  sy::options options;
};

/// The median over repetitions of the slowest rank's time for f, in ms.
template <class F>
double median_ms(const setup& s, F&& f) {
  std::vector<double> times;
  for (int i = 0; i < s.repetitions; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const double mine = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    double slowest = 0;
    MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    times.push_back(slowest);
  }
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
  return times[times.size() / 2];
}

void measure(const setup& s, const char* name, std::size_t elements_per_rank) {
  // Parts differ by a few elements so no chunk boundary falls on a rank's.
  std::vector<float> part(elements_per_rank + 7 * static_cast<std::size_t>(s.rank), 0.25f);
  sy::options det = s.options;
  det.deterministic = true;
  volatile float sink = 0;
  const double plain = median_ms(s, [&] { sink = sy::mpi::sum(MPI_COMM_WORLD, part, s.options); });
  const double deterministic = median_ms(s, [&] { sink = sy::mpi::sum(MPI_COMM_WORLD, part, det); });
  const double local = median_ms(s, [&] { sink = sy::sum(part, s.options); });
  const double peer = median_ms(s, [&] {
    const float mine = sy::sum(part, s.options);
    float total = 0;
    MPI_Allreduce(&mine, &total, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    sink = total;
  });
  (void)sink;
  if (s.rank == 0) {
    std::printf("%d\t%s\t%zu\t%.4f\t%.4f\t%.4f\t%.4f\n", s.ranks, name, elements_per_rank * sizeof(float), plain,
                deterministic, local, peer);
  }
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  setup s;
  MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &s.ranks);
  switchyard::bench::program_flags app{"switchyard::mpi scaling: run under mpirun"};
  std::size_t strong_mib = 256, weak_mib = 64;
  unsigned threads = 0;
  bool header = false;
  app.option("--strong-mib", strong_mib, "strong scaling: the whole input, split evenly (MiB)");
  app.option("--weak-mib", weak_mib, "weak scaling: each rank's part (MiB)");
  app.option("--repetitions", s.repetitions, "timed calls per figure (median)");
  app.option("--threads", threads, "local threads per rank (0: the machine's cores / ranks, at least 1)");
  app.flag("--header", header, "print the column names first");
  if (const auto rc = app.parse(argc, argv)) {
    MPI_Finalize();
    return *rc;
  }
  const unsigned cores = sy::default_engine().max_threads();
  s.options.max_threads = threads != 0 ? threads : std::max(1u, cores / static_cast<unsigned>(s.ranks));
  if (header && s.rank == 0) std::printf("ranks\tcase\tbytes_per_rank\tplain_ms\tdeterministic_ms\tlocal_ms\tallreduce_peer_ms\n");
  measure(s, "fixed", 1000);
  measure(s, "strong", (strong_mib << 20) / sizeof(float) / static_cast<std::size_t>(s.ranks));
  measure(s, "weak", (weak_mib << 20) / sizeof(float));
  MPI_Finalize();
  return 0;
}
