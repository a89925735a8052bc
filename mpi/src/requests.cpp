// Non-blocking collectives waited for until a deadline (requests.hpp).
#include "requests.hpp"

#include <string>
#include <thread>

#include <switchyard/error.hpp>

namespace switchyard::mpi::detail {

errors_returned::errors_returned(MPI_Comm comm) : comm_(comm) {
  check(MPI_Comm_get_errhandler(comm_, &previous_), "MPI_Comm_get_errhandler");
  check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
}

errors_returned::~errors_returned() {
  MPI_Comm_set_errhandler(comm_, previous_);
  MPI_Errhandler_free(&previous_);  // get_errhandler took a reference
}

void check(int rc, std::string_view what) {
  if (rc == MPI_SUCCESS) return;
  char reason[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, reason, &length) != MPI_SUCCESS) length = 0;
  throw error(errc::communication_failed,
              "switchyard::mpi: " + std::string(what) + " failed: " + std::string(reason, static_cast<std::size_t>(length)));
}

void wait(MPI_Request& r, std::chrono::milliseconds timeout, std::string_view what) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  // Poll at once for a while (a collective among ranks that arrive together
  // ends in microseconds), then sleep longer and longer, up to 1 ms, so a rank
  // that waits for a slow one leaves its core to it.
  auto pause = std::chrono::microseconds(0);
  for (;;) {
    int done = 0;
    check(MPI_Test(&r, &done, MPI_STATUS_IGNORE), what);
    if (done != 0) return;
    const auto waited = clock::now() - start;
    if (waited > timeout) {
      throw error(errc::timed_out,
                  "switchyard::mpi: " + std::string(what) + ": the other ranks did not all arrive within " +
                      std::to_string(timeout.count()) +
                      " ms (a rank died, hangs, or called something else); MPI cannot cancel the collective, "
                      "so this communicator must not be used again");
    }
    if (waited > std::chrono::milliseconds(1)) {
      pause = std::min(std::chrono::microseconds(100), pause + std::chrono::microseconds(10));
      std::this_thread::sleep_for(pause);
    }
  }
}

std::vector<std::byte> allgather(MPI_Comm comm, const void* mine, std::size_t bytes,
                                 std::chrono::milliseconds timeout, std::string_view what) {
  int ranks = 0;
  check(MPI_Comm_size(comm, &ranks), "MPI_Comm_size");
  std::vector<std::byte> all(bytes * static_cast<std::size_t>(ranks));
  MPI_Request r = MPI_REQUEST_NULL;
  check(MPI_Iallgather(mine, static_cast<int>(bytes), MPI_BYTE, all.data(), static_cast<int>(bytes), MPI_BYTE, comm, &r),
        what);
  wait(r, timeout, what);
  return all;
}

MPI_Request start_alltoallv(MPI_Comm comm, const std::byte* send, const std::vector<int>& send_bytes,
                            const std::vector<int>& send_at, std::byte* receive, const std::vector<int>& receive_bytes,
                            const std::vector<int>& receive_at, std::string_view what) {
  MPI_Request r = MPI_REQUEST_NULL;
  check(MPI_Ialltoallv(send, send_bytes.data(), send_at.data(), MPI_BYTE, receive, receive_bytes.data(),
                       receive_at.data(), MPI_BYTE, comm, &r),
        what);
  return r;
}

}  // namespace switchyard::mpi::detail
