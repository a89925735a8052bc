// What every rank checks before data moves: the header each rank sends
// (which reduction over how many elements, and its own verdict), what a rank
// refuses on its own, and the check that all ranks made the same call.
#pragma once

#include <vector>

#include <switchyard/mpi.hpp>

#include "wire.hpp"

namespace switchyard::mpi::detail {

/// This rank's header for the call.
header header_of(const call& c, int root);

/// What a rank can refuse before any data moves: what would make it read
/// outside its part, or address a rank that is not there. Throws
/// switchyard::error.
void check_local(const call& c, int root, int ranks);

/// Throws the same error on every rank when the ranks did not call the same
/// reduction.
void check_agreement(const std::vector<header>& all);

}  // namespace switchyard::mpi::detail
