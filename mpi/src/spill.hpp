// The one exchange of elements deterministic mode needs: each rank sends the
// elements before its first chunk boundary to the rank that owns that chunk,
// which then holds the whole chunk that straddles its part's end. Started
// before the rank reduces its own chunks and finished after, so the exchange
// overlaps the work instead of adding a wait before it.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <vector>

#include <switchyard/mpi.hpp>

#include "layout.hpp"
#include "wire.hpp"

namespace switchyard::mpi::detail {

/// The chunk that straddles this rank's end, in host memory: its elements of
/// x (and of y, for dot) that this rank holds, then those received.
struct spill {
  std::vector<std::byte> x, y;
};

class spill_exchange {
 public:
  /// Sends this rank's lead and posts the receipt of its tail (every rank
  /// takes part, even with nothing to send). A failure to read this rank's
  /// own elements is kept in `failure` for the next exchange to carry; MPI
  /// failures throw.
  spill_exchange(const collective& w, const call& c, const layout& l, int rank, const ownership& own,
                 verdict& failure);
  /// Waits for the exchange (MPI cannot cancel it) if finish() did not.
  ~spill_exchange();
  spill_exchange(const spill_exchange&) = delete;
  spill_exchange& operator=(const spill_exchange&) = delete;

  /// Waits for the tail and returns the straddling chunk (empty when this
  /// rank's last chunk is all its own).
  spill finish();

 private:
  const collective& w_;
  const call& c_;
  const layout& l_;
  int rank_;
  ownership own_;
  verdict& failure_;
  std::size_t inputs_;  ///< 2 for dot (x's lead, then y's), else 1
  std::vector<std::byte> lead_, received_;
  std::vector<int> receive_bytes_, receive_at_;
  std::vector<int> send_bytes_, send_at_;
  MPI_Request request_ = MPI_REQUEST_NULL;
};

}  // namespace switchyard::mpi::detail
