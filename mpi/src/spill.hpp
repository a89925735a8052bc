// The one exchange of elements deterministic mode needs: each rank sends the
// elements before its first chunk boundary to the rank that owns that chunk,
// which then holds the whole chunk that straddles its part's end.
#pragma once

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

/// Sends this rank's lead and receives its tail (every rank takes part, even
/// with nothing to send). A failure to read this rank's own elements is kept
/// in `failure` for the next exchange to carry; MPI failures throw.
spill exchange_spill(const collective& w, const call& c, const layout& l, int rank, const ownership& own,
                     verdict& failure);

}  // namespace switchyard::mpi::detail
