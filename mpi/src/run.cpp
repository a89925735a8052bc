// switchyard::mpi's one entry: agree on the call across the ranks, reduce
// each rank's pieces to partials (the one-process tree's subtrees when
// deterministic, else one partial per rank), gather them, and finish.
#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <switchyard/detail/partial.hpp>
#include <switchyard/error.hpp>
#include <switchyard/mpi.hpp>

#include "agree.hpp"
#include "chunk_tree.hpp"
#include "layout.hpp"
#include "requests.hpp"
#include "spill.hpp"
#include "wire.hpp"

namespace switchyard::mpi::detail {
namespace {

using switchyard::detail::partial;
using switchyard::detail::partials;
using switchyard::detail::pass;

/// The pieces this rank reduces in each pass, and the global index each
/// starts at.
struct piece {
  call c;
  std::uint64_t first_index;
  tree_node node;
};

call slice(const call& c, std::uint64_t offset, std::uint64_t count) {
  call s = c;
  s.x = static_cast<const std::byte*>(c.x) + offset * c.element_bytes;
  if (c.y != nullptr) s.y = static_cast<const std::byte*>(c.y) + offset * c.element_bytes;
  s.n = s.n_y = count;
  return s;
}

/// Deterministic: the whole subtrees over this rank's chunks that lie in its
/// own part, reduced in place.
std::vector<piece> subtree_pieces(const call& c, const layout& l, int rank, const ownership& own) {
  const std::uint64_t chunk = switchyard::detail::builtin_chunk_elements();
  const std::uint64_t first = l.first[static_cast<std::size_t>(rank)];
  std::vector<piece> pieces;
  for (const tree_node& node : cover(own.first_chunk, own.in_place_end())) {
    const std::uint64_t begin = node.first_chunk() * chunk;
    const std::uint64_t end = std::min((node.first_chunk() + node.chunk_span()) * chunk, l.total);
    pieces.push_back({slice(c, begin - first, end - begin), begin, node});
  }
  return pieces;
}

/// The chunk that straddles the next ranks, from the staged copy.
piece straddling_piece(const call& c, const ownership& own, const spill& straddling) {
  call s = c;
  s.where = memory::host;
  s.x = straddling.x.data();
  s.y = straddling.y.empty() ? nullptr : straddling.y.data();
  s.n = s.n_y = straddling.x.size() / c.element_bytes;
  return {s, (own.end_chunk - 1) * switchyard::detail::builtin_chunk_elements(), tree_node{0, own.end_chunk - 1}};
}

/// Adds the partials of pass p over `pieces` to this rank's record, or its
/// failure.
void reduce_pieces(record& mine, std::span<const piece> pieces, pass p, int scale, const verdict& earlier) {
  if (mine.failure.code == 0) mine.failure = earlier;
  if (mine.failure.code != 0) return;
  try {
    for (const piece& s : pieces) {
      mine.nodes[mine.count++] = {s.node.level, 0, s.node.index,
                                  switchyard::detail::reduce_partial(s.c, p, s.first_index, scale)};
    }
  } catch (...) {
    mine.failure = verdict::of_current_exception();
  }
}

record reduce_pieces(std::span<const piece> pieces, pass p, int scale, const verdict& earlier) {
  record mine;
  reduce_pieces(mine, pieces, p, scale, earlier);
  return mine;
}

/// What one exchange brought: every rank's header (when headers travelled)
/// and record.
struct round {
  std::vector<header> headers;
  std::vector<record> records;
};

/// One allgather of each rank's header (if `mine_header`) and the first
/// `capacity` nodes of its record: the record's size is the most nodes any
/// rank sends, not the most any call could.
round exchange(const collective& w, int ranks, const header* mine_header, const record& mine, std::size_t capacity,
               const std::string& what) {
  const std::size_t header_bytes = mine_header != nullptr ? sizeof(header) : 0;
  const std::size_t record_bytes = offsetof(record, nodes) + capacity * sizeof(wire_node);
  std::vector<std::byte> out(header_bytes + record_bytes);
  if (mine_header != nullptr) std::memcpy(out.data(), mine_header, header_bytes);
  std::memcpy(out.data() + header_bytes, &mine, record_bytes);
  const auto all = allgather(w.comm, out.data(), out.size(), w.timeout, what);
  round r;
  r.headers.resize(mine_header != nullptr ? static_cast<std::size_t>(ranks) : 0);
  r.records.resize(static_cast<std::size_t>(ranks));
  for (std::size_t i = 0; i < r.records.size(); ++i) {
    const std::byte* at = all.data() + i * out.size();
    if (mine_header != nullptr) std::memcpy(&r.headers[i], at, header_bytes);
    std::memcpy(&r.records[i], at + header_bytes, record_bytes);
    r.records[i].count = std::min<std::uint32_t>(r.records[i].count, static_cast<std::uint32_t>(capacity));
  }
  return r;
}

void throw_first_failure(const std::vector<record>& records) {
  verdict::throw_first_failure(reinterpret_cast<const std::byte*>(records.data()), sizeof(record),
                               static_cast<int>(records.size()));
}

/// Plain mode: the ranks' one partial each, folded in rank order.
partial fold_in_rank_order(const call& whole, pass p, const std::vector<record>& records) {
  std::optional<partial> folded;
  for (const record& r : records) {
    if (r.count == 0) continue;
    folded = folded ? switchyard::detail::combine_partial(whole, p, *folded, r.nodes[0].value) : r.nodes[0].value;
  }
  return *folded;
}

/// Deterministic mode: the one-process tree rebuilt from every rank's subtrees.
partial rebuild_tree(const call& whole, pass p, const std::vector<record>& records) {
  std::map<tree_node, partial> nodes;
  for (const record& r : records) {
    for (std::uint32_t i = 0; i < r.count; ++i) nodes.emplace(tree_node{r.nodes[i].level, r.nodes[i].index}, r.nodes[i].value);
  }
  const std::uint64_t chunk = switchyard::detail::builtin_chunk_elements();
  return rebuild(nodes, (whole.n + chunk - 1) / chunk,
                 [&](const partial& l, const partial& r) { return switchyard::detail::combine_partial(whole, p, l, r); });
}

/// The most pieces any rank reduces in deterministic mode: its records' size.
std::size_t most_pieces(const layout& l) {
  const std::uint64_t chunk = switchyard::detail::builtin_chunk_elements();
  std::size_t most = 0;
  for (std::size_t r = 0; r < l.count.size(); ++r) {
    const ownership o = owned_by(l, static_cast<int>(r), chunk);
    most = std::max(most, cover(o.first_chunk, o.in_place_end()).size() + (o.tail > 0 ? 1 : 0));
  }
  return most;
}

}  // namespace

void run(const collective& w, const call& c, void* result) {
  if (w.comm == MPI_COMM_NULL) {
    throw error(errc::invalid_argument, "switchyard::mpi: the communicator is MPI_COMM_NULL; pass one this rank belongs to");
  }
  int initialized = 0, finalized = 0;
  check(MPI_Initialized(&initialized), "MPI_Initialized");
  check(MPI_Finalized(&finalized), "MPI_Finalized");
  if (initialized == 0 || finalized != 0) {
    throw error(errc::invalid_argument, "switchyard::mpi: MPI is not initialized (or already finalized); call MPI_Init "
                                        "first: switchyard never initializes MPI itself");
  }
  if (w.timeout.count() <= 0) {
    throw error(errc::invalid_argument, "switchyard::mpi: timeout must be positive, not " +
                                            std::to_string(w.timeout.count()) + " ms");
  }
  const errors_returned guard(w.comm);
  int rank = 0, ranks = 0;
  check(MPI_Comm_rank(w.comm, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(w.comm, &ranks), "MPI_Comm_size");

  header mine = header_of(c, w.root);
  try {
    check_local(c, w.root, ranks);
  } catch (...) {
    mine.failure = verdict::of_current_exception();
  }
  const std::string name(to_string(c.op));
  // Plain mode sends its one partial with the header (reduced before the rank
  // knows where its part starts; indices are moved on after), so a call is one
  // exchange. Deterministic mode needs the layout before it reduces.
  const bool deterministic = c.opts.deterministic;
  std::vector<piece> pieces;
  if (!deterministic && c.n > 0) pieces.push_back({c, 0, tree_node{}});
  const record first = deterministic ? record{} : reduce_pieces(pieces, pass::main, 0, mine.failure);
  round agreed = exchange(w, ranks, &mine, first, deterministic ? 0 : 1, name + "'s call");
  check_agreement(agreed.headers);
  verdict::throw_first_failure(reinterpret_cast<const std::byte*>(agreed.headers.data()), sizeof(header), ranks);
  if (!deterministic) throw_first_failure(agreed.records);

  std::vector<std::uint64_t> counts;
  for (const header& h : agreed.headers) counts.push_back(h.n);
  const layout l(counts);
  if (l.total == 0) return;  // the result stays value-initialized: 0 or nullopt
  call whole = c;
  whole.n = whole.n_y = l.total;

  // The result on the root alone; the others still finish, without a result,
  // to learn which pass comes next.
  void* out = w.root == all_ranks || w.root == rank ? result : nullptr;
  partials ps;
  verdict failure;
  if (deterministic) {
    const ownership own = owned_by(l, rank, switchyard::detail::builtin_chunk_elements());
    // The in-place subtrees are reduced while the straddling chunk's elements
    // travel.
    spill_exchange spilling(w, c, l, rank, own, failure);
    pieces = subtree_pieces(c, l, rank, own);
    record first_pass = reduce_pieces(pieces, pass::main, 0, failure);
    const spill straddling = spilling.finish();
    if (own.tail > 0) {
      pieces.push_back(straddling_piece(c, own, straddling));
      reduce_pieces(first_pass, std::span(pieces).last(1), pass::main, 0, failure);
    }
    const std::size_t capacity = most_pieces(l);
    while (ps.next != pass::done) {
      const round got = exchange(w, ranks, nullptr,
                                 ps.next == pass::main ? first_pass : reduce_pieces(pieces, ps.next, ps.scale, failure),
                                 capacity, name + "'s partials");
      throw_first_failure(got.records);
      ps.of_next() = rebuild_tree(whole, ps.next, got.records);
      switchyard::detail::finish(whole, ps, out);
    }
    return;
  }
  for (std::size_t r = 0; r < agreed.records.size(); ++r) {
    if (agreed.records[r].count == 1) {
      switchyard::detail::shift_index(whole, pass::main, agreed.records[r].nodes[0].value, l.first[r]);
    }
  }
  ps.main = fold_in_rank_order(whole, pass::main, agreed.records);
  switchyard::detail::finish(whole, ps, out);
  if (!pieces.empty()) pieces[0].first_index = l.first[static_cast<std::size_t>(rank)];
  while (ps.next != pass::done) {  // norm2 of doubles out of range: bounds, then the scaled squares
    const round got = exchange(w, ranks, nullptr, reduce_pieces(pieces, ps.next, ps.scale, failure), 1,
                               name + "'s partials");
    throw_first_failure(got.records);
    ps.of_next() = fold_in_rank_order(whole, ps.next, got.records);
    switchyard::detail::finish(whole, ps, out);
  }
}

}  // namespace switchyard::mpi::detail
