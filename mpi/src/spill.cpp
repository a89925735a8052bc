// The exchange of straddling chunks' elements (spill.hpp).
#include "spill.hpp"

#include <cstring>
#include <string>

#include <switchyard/detail/partial.hpp>

#include "requests.hpp"

namespace switchyard::mpi::detail {

spill exchange_spill(const collective& w, const call& c, const layout& l, int rank, const ownership& own,
                     verdict& failure) {
  const std::uint64_t chunk = switchyard::detail::builtin_chunk_elements();
  const std::size_t ranks = l.count.size();
  const std::size_t inputs = c.y != nullptr ? 2 : 1;  // dot sends x's lead, then y's
  const std::size_t element = c.element_bytes;

  std::vector<int> send_bytes(ranks, 0), send_at(ranks, 0), receive_bytes(ranks, 0), receive_at(ranks, 0);
  std::vector<std::byte> lead(static_cast<std::size_t>(own.lead) * element * inputs);
  if (own.lead > 0) {
    send_bytes[static_cast<std::size_t>(own.lead_to)] = static_cast<int>(lead.size());
    try {
      switchyard::detail::copy_to_host(c, c.x, own.lead, lead.data());
      if (inputs == 2) switchyard::detail::copy_to_host(c, c.y, own.lead, lead.data() + own.lead * element);
    } catch (...) {
      failure = verdict::of_current_exception();  // the bytes still go, so no rank waits for them
    }
  }
  int at = 0;
  for (std::size_t s = 0; s < ranks; ++s) {
    const ownership theirs = owned_by(l, static_cast<int>(s), chunk);
    if (theirs.lead_to != rank || theirs.lead == 0) continue;
    receive_bytes[s] = static_cast<int>(theirs.lead * element * inputs);
    receive_at[s] = at;
    at += receive_bytes[s];
  }
  std::vector<std::byte> received(static_cast<std::size_t>(at));
  alltoallv(w.comm, lead.data(), send_bytes, send_at, received.data(), receive_bytes, receive_at, w.timeout,
            "the exchange of straddling chunks");

  spill out;
  if (own.tail == 0) return out;
  const std::uint64_t first = l.first[static_cast<std::size_t>(rank)];
  const std::uint64_t held = first + l.count[static_cast<std::size_t>(rank)] - (own.end_chunk - 1) * chunk;
  const std::uint64_t from = l.count[static_cast<std::size_t>(rank)] - held;
  out.x.resize((held + own.tail) * element);
  if (inputs == 2) out.y.resize(out.x.size());
  try {
    switchyard::detail::copy_to_host(c, static_cast<const std::byte*>(c.x) + from * element, held, out.x.data());
    if (inputs == 2) {
      switchyard::detail::copy_to_host(c, static_cast<const std::byte*>(c.y) + from * element, held, out.y.data());
    }
  } catch (...) {
    if (failure.code == 0) failure = verdict::of_current_exception();
  }
  // The received leads, in rank order, are the tail's elements in order.
  std::size_t x_at = held * element;
  for (std::size_t s = 0; s < ranks; ++s) {
    if (receive_bytes[s] == 0) continue;
    const std::size_t part = static_cast<std::size_t>(receive_bytes[s]) / inputs;
    const std::byte* block = received.data() + receive_at[s];
    std::memcpy(out.x.data() + x_at, block, part);
    if (inputs == 2) std::memcpy(out.y.data() + x_at, block + part, part);
    x_at += part;
  }
  return out;
}

}  // namespace switchyard::mpi::detail
