// switchyard::mpi's one entry: agree on the call across the ranks, reduce
// each rank's pieces to partials (the one-process tree's subtrees when
// deterministic, else one partial per rank), gather them, and finish.
#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <switchyard/detail/partial.hpp>
#include <switchyard/error.hpp>
#include <switchyard/mpi.hpp>

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

std::string_view type_name(std::uint8_t t) {
  constexpr std::string_view names[] = {"float", "double", "int32_t", "int64_t", "uint8_t", "another type"};
  return t < std::size(names) ? names[t] : "an unknown type";
}

header header_of(const call& c, int root) {
  header h;
  h.op = static_cast<std::uint8_t>(c.op);
  h.type = static_cast<std::uint8_t>(c.type);
  h.accuracy = static_cast<std::uint8_t>(c.opts.accuracy);
  h.deterministic = c.opts.deterministic ? 1 : 0;
  h.pred_op = static_cast<std::uint8_t>(c.pred_op);
  h.on_device = c.where == memory::device ? 1 : 0;
  h.root = root;
  h.pred_bits = c.op == op::count_if ? c.pred_bits : 0;
  h.n = c.n;
  return h;
}

/// What a rank can refuse before any data moves: what would make it read
/// outside its part, or address a rank that is not there.
void check_local(const call& c, int root, int ranks) {
  if (c.op == op::dot && c.n != c.n_y) {
    throw error(errc::length_mismatch, "dot: this rank's x has " + std::to_string(c.n) + " elements and its y " +
                                           std::to_string(c.n_y) + "; pass parts of the same length");
  }
  const bool float_sum = (c.op == op::sum || c.op == op::dot || c.op == op::sum_of_squares) &&
                         (c.type == switchyard::detail::element_type::f32 || c.type == switchyard::detail::element_type::f64);
  if (c.where == memory::device && c.opts.deterministic && (float_sum || c.op == op::norm2)) {
    throw error(errc::unsupported_operation,
                std::string(to_string(c.op)) + " with deterministic = true over a GPU part: the cuda backend's "
                "floating-point sums have bits of their own, not the CPU tree's that the ranks rebuild, so no split "
                "could match one process; pass host parts, or drop deterministic");
  }
  if (root < all_ranks || root >= ranks) {
    throw error(errc::invalid_argument, "root " + std::to_string(root) + " is not a rank of this communicator of " +
                                            std::to_string(ranks) + " (or all_ranks)");
  }
}

/// Throws the same error on every rank when the ranks did not call the same
/// reduction.
void check_agreement(const std::vector<header>& all) {
  const header& a = all[0];
  for (std::size_t r = 1; r < all.size(); ++r) {
    const header& b = all[r];
    std::string what;
    if (a.op != b.op || a.type != b.type) {
      what = std::string(to_string(static_cast<op>(a.op))) + " over " + std::string(type_name(a.type)) + " on rank 0, " +
             std::string(to_string(static_cast<op>(b.op))) + " over " + std::string(type_name(b.type)) + " on rank " +
             std::to_string(r);
    } else if (a.accuracy != b.accuracy) {
      what = "accuracy " + std::string(to_string(static_cast<accuracy>(a.accuracy))) + " on rank 0, " +
             std::string(to_string(static_cast<accuracy>(b.accuracy))) + " on rank " + std::to_string(r);
    } else if (a.deterministic != b.deterministic) {
      what = "deterministic differs between rank 0 and rank " + std::to_string(r);
    } else if (a.pred_op != b.pred_op || a.pred_bits != b.pred_bits) {
      what = "count_if's comparison differs between rank 0 and rank " + std::to_string(r);
    } else if (a.root != b.root) {
      what = "root " + std::to_string(a.root) + " on rank 0, " + std::to_string(b.root) + " on rank " + std::to_string(r);
    }
    if (!what.empty()) {
      throw error(errc::invalid_argument, "switchyard::mpi: the ranks called different reductions: " + what +
                                              "; every rank must make the same call with its own part");
    }
  }
}

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

/// Deterministic: the whole subtrees over this rank's chunks, in place, and
/// the chunk that straddles the next ranks from the staged copy.
std::vector<piece> subtree_pieces(const call& c, const layout& l, int rank, const ownership& own,
                                  const spill& straddling) {
  const std::uint64_t chunk = switchyard::detail::builtin_chunk_elements();
  const std::uint64_t first = l.first[static_cast<std::size_t>(rank)];
  std::vector<piece> pieces;
  const std::uint64_t in_place_end = own.tail > 0 ? own.end_chunk - 1 : own.end_chunk;
  for (const tree_node& node : cover(own.first_chunk, in_place_end)) {
    const std::uint64_t begin = node.first_chunk() * chunk;
    const std::uint64_t end = std::min((node.first_chunk() + node.chunk_span()) * chunk, l.total);
    pieces.push_back({slice(c, begin - first, end - begin), begin, node});
  }
  if (own.tail > 0) {
    call s = c;
    s.where = memory::host;
    s.x = straddling.x.data();
    s.y = straddling.y.empty() ? nullptr : straddling.y.data();
    s.n = s.n_y = straddling.x.size() / c.element_bytes;
    pieces.push_back({s, (own.end_chunk - 1) * chunk, tree_node{0, own.end_chunk - 1}});
  }
  return pieces;
}

partial& slot(partials& ps) {
  return ps.next == pass::main ? ps.main : ps.next == pass::bounds ? ps.bounds : ps.scaled_squares;
}

/// One pass across the ranks: reduce this rank's pieces, gather every rank's
/// partials, and combine them into the whole input's partial.
partial reduce_across(const collective& w, const call& whole, const std::vector<piece>& pieces, int ranks, pass p,
                      int scale, const verdict& earlier) {
  record mine;
  mine.failure = earlier;
  if (mine.failure.code == 0) {
    try {
      for (const piece& s : pieces) {
        mine.nodes[mine.count++] = {s.node.level, 0, s.node.index,
                                    switchyard::detail::reduce_partial(s.c, p, s.first_index, scale)};
      }
    } catch (...) {
      mine.failure = verdict::of_current_exception();
    }
  }
  const auto all = allgather(w.comm, &mine, sizeof(record), w.timeout, std::string(to_string(whole.op)) + "'s partials");
  verdict::throw_first_failure(all.data(), sizeof(record), ranks);
  std::vector<record> records(static_cast<std::size_t>(ranks));
  std::memcpy(records.data(), all.data(), all.size());
  auto combine = [&](const partial& l, const partial& r) { return switchyard::detail::combine_partial(whole, p, l, r); };
  if (whole.opts.deterministic) {
    std::map<tree_node, partial> nodes;
    for (const record& r : records) {
      for (std::uint32_t i = 0; i < r.count; ++i) nodes.emplace(tree_node{r.nodes[i].level, r.nodes[i].index}, r.nodes[i].value);
    }
    return rebuild(nodes, (whole.n + switchyard::detail::builtin_chunk_elements() - 1) /
                              switchyard::detail::builtin_chunk_elements(), combine);
  }
  std::optional<partial> folded;
  for (const record& r : records) {
    if (r.count == 1) folded = folded ? combine(*folded, r.nodes[0].value) : r.nodes[0].value;
  }
  return *folded;
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
  const auto gathered = allgather(w.comm, &mine, sizeof(header), w.timeout, name + "'s call");
  std::vector<header> headers(static_cast<std::size_t>(ranks));
  std::memcpy(headers.data(), gathered.data(), gathered.size());
  check_agreement(headers);
  verdict::throw_first_failure(gathered.data(), sizeof(header), ranks);

  std::vector<std::uint64_t> counts;
  for (const header& h : headers) counts.push_back(h.n);
  const layout l(counts);
  if (l.total == 0) return;  // the result stays value-initialized: 0 or nullopt
  call whole = c;
  whole.n = whole.n_y = l.total;

  verdict failure;
  std::vector<piece> pieces;
  spill straddling;
  if (c.opts.deterministic) {
    const ownership own = owned_by(l, rank, switchyard::detail::builtin_chunk_elements());
    straddling = exchange_spill(w, c, l, rank, own, failure);
    pieces = subtree_pieces(c, l, rank, own, straddling);
  } else if (c.n > 0) {
    pieces.push_back({c, l.first[static_cast<std::size_t>(rank)], tree_node{}});
  }

  // The result on the root alone; the others still finish, without a result,
  // to learn which pass comes next.
  void* out = w.root == all_ranks || w.root == rank ? result : nullptr;
  partials ps;
  while (ps.next != pass::done) {
    slot(ps) = reduce_across(w, whole, pieces, ranks, ps.next, ps.scale, failure);
    switchyard::detail::finish(whole, ps, out);
  }
}

}  // namespace switchyard::mpi::detail
