// One rank dies in the middle of a reduction (SIGKILL while it reduces its
// part); every other rank must leave the call with errc::timed_out within
// the timeout plus a margin, not hang. Prints one line per surviving rank for
// rank_death_test.sh to count.
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <switchyard/error.hpp>
#include <switchyard/mpi.hpp>

namespace sy = switchyard;

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const bool dies = rank == ranks - 1;
  // The dying rank's part takes seconds on one thread; it is killed 100 ms in.
  std::vector<float> part(dies ? std::size_t{1} << 28 : 1000, 1.0f);
  MPI_Barrier(MPI_COMM_WORLD);
  if (dies) {
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      raise(SIGKILL);
    }).detach();
    for (;;) (void)sy::mpi::sum(MPI_COMM_WORLD, part, {.backend = sy::backend::serial});
  }
  const auto start = std::chrono::steady_clock::now();
  const char* outcome = "no error";
  try {
    (void)sy::mpi::sum({MPI_COMM_WORLD, sy::mpi::all_ranks, std::chrono::milliseconds(2000)}, part);
  } catch (const sy::error& e) {
    outcome = e.code() == sy::errc::timed_out ? "timed_out" : e.what();
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("survivor rank %d: %s after %lld ms\n", rank, outcome, static_cast<long long>(ms));
  std::fflush(stdout);
  _exit(0);  // MPI_Finalize would wait for the dead rank
}
