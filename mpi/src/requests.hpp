// MPI collectives that never hang and never abort: the caller's communicator
// returns errors instead of aborting for the length of a call, and every
// collective is non-blocking, waited for until a deadline.
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <string_view>
#include <vector>

namespace switchyard::mpi::detail {

/// Sets the communicator's error handler to MPI_ERRORS_RETURN and puts the
/// caller's back at the end of the scope.
class errors_returned {
 public:
  explicit errors_returned(MPI_Comm comm);
  ~errors_returned();
  errors_returned(const errors_returned&) = delete;
  errors_returned& operator=(const errors_returned&) = delete;

 private:
  MPI_Comm comm_;
  MPI_Errhandler previous_ = MPI_ERRHANDLER_NULL;
};

/// Throws switchyard::error (communication_failed) naming `what` and MPI's
/// reason when rc is not MPI_SUCCESS.
void check(int rc, std::string_view what);

/// Waits for r; throws switchyard::error (timed_out) when it has not
/// completed `timeout` after the call.
void wait(MPI_Request& r, std::chrono::milliseconds timeout, std::string_view what);

/// Every rank's `bytes` bytes, in rank order.
std::vector<std::byte> allgather(MPI_Comm comm, const void* mine, std::size_t bytes,
                                 std::chrono::milliseconds timeout, std::string_view what);

/// Starts MPI_Ialltoallv of bytes: send[i] bytes at send_at[i] to rank i,
/// receive[i] at receive_at[i] from rank i; wait() for the request before the
/// buffers go.
MPI_Request start_alltoallv(MPI_Comm comm, const std::byte* send, const std::vector<int>& send_bytes,
                            const std::vector<int>& send_at, std::byte* receive, const std::vector<int>& receive_bytes,
                            const std::vector<int>& receive_at, std::string_view what);

}  // namespace switchyard::mpi::detail
