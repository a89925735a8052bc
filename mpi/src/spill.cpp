// The exchange of straddling chunks' elements (spill.hpp).
#include "spill.hpp"

#include <cstring>
#include <string>

#include <switchyard/detail/partial.hpp>

#include "requests.hpp"

namespace switchyard::mpi::detail {

spill_exchange::spill_exchange(const collective& w, const call& c, const layout& l, int rank, const ownership& own,
                               verdict& failure)
    : w_(w), c_(c), l_(l), rank_(rank), own_(own), failure_(failure), inputs_(c.y != nullptr ? 2 : 1) {
  const std::uint64_t chunk = switchyard::detail::builtin_chunk_elements();
  const std::size_t ranks = l.count.size();
  const std::size_t element = c.element_bytes;
  send_bytes_.assign(ranks, 0);
  send_at_.assign(ranks, 0);
  receive_bytes_.assign(ranks, 0);
  receive_at_.assign(ranks, 0);
  lead_.resize(static_cast<std::size_t>(own.lead) * element * inputs_);
  if (own.lead > 0) {
    send_bytes_[static_cast<std::size_t>(own.lead_to)] = static_cast<int>(lead_.size());
    try {
      switchyard::detail::copy_to_host(c, c.x, own.lead, lead_.data());
      if (inputs_ == 2) switchyard::detail::copy_to_host(c, c.y, own.lead, lead_.data() + own.lead * element);
    } catch (...) {
      failure = verdict::of_current_exception();  // the bytes still go, so no rank waits for them
    }
  }
  int at = 0;
  for (std::size_t s = 0; s < ranks; ++s) {
    const ownership theirs = owned_by(l, static_cast<int>(s), chunk);
    if (theirs.lead_to != rank || theirs.lead == 0) continue;
    receive_bytes_[s] = static_cast<int>(theirs.lead * element * inputs_);
    receive_at_[s] = at;
    at += receive_bytes_[s];
  }
  received_.resize(static_cast<std::size_t>(at));
  request_ = start_alltoallv(w.comm, lead_.data(), send_bytes_, send_at_, received_.data(), receive_bytes_,
                             receive_at_, "the exchange of straddling chunks");
}

spill_exchange::~spill_exchange() {
  if (request_ == MPI_REQUEST_NULL) return;
  try {
    wait(request_, w_.timeout, "the exchange of straddling chunks");
  } catch (...) {  // already failing: the first error is the one to report
  }
}

spill spill_exchange::finish() {
  wait(request_, w_.timeout, "the exchange of straddling chunks");
  request_ = MPI_REQUEST_NULL;
  spill out;
  if (own_.tail == 0) return out;
  const std::uint64_t chunk = switchyard::detail::builtin_chunk_elements();
  const std::size_t element = c_.element_bytes;
  const auto r = static_cast<std::size_t>(rank_);
  const std::uint64_t held = l_.first[r] + l_.count[r] - (own_.end_chunk - 1) * chunk;
  const std::uint64_t from = l_.count[r] - held;
  out.x.resize((held + own_.tail) * element);
  if (inputs_ == 2) out.y.resize(out.x.size());
  try {
    switchyard::detail::copy_to_host(c_, static_cast<const std::byte*>(c_.x) + from * element, held, out.x.data());
    if (inputs_ == 2) {
      switchyard::detail::copy_to_host(c_, static_cast<const std::byte*>(c_.y) + from * element, held, out.y.data());
    }
  } catch (...) {
    if (failure_.code == 0) failure_ = verdict::of_current_exception();
  }
  // The received leads, in rank order, are the tail's elements in order.
  std::size_t x_at = held * element;
  for (std::size_t s = 0; s < receive_bytes_.size(); ++s) {
    if (receive_bytes_[s] == 0) continue;
    const std::size_t part = static_cast<std::size_t>(receive_bytes_[s]) / inputs_;
    const std::byte* block = received_.data() + receive_at_[s];
    std::memcpy(out.x.data() + x_at, block, part);
    if (inputs_ == 2) std::memcpy(out.y.data() + x_at, block + part, part);
    x_at += part;
  }
  return out;
}

}  // namespace switchyard::mpi::detail
