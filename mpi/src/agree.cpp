// Agreeing on one call across the ranks (agree.hpp).
#include "agree.hpp"

#include <iterator>
#include <string>
#include <string_view>

#include <switchyard/error.hpp>

namespace switchyard::mpi::detail {
namespace {

std::string_view type_name(std::uint8_t t) {
  constexpr std::string_view names[] = {"float", "double", "int32_t", "int64_t", "uint8_t", "another type"};
  return t < std::size(names) ? names[t] : "an unknown type";
}

}  // namespace

header header_of(const call& c, int root) {
  header h;
  h.op = static_cast<std::uint8_t>(c.op);
  h.type = static_cast<std::uint8_t>(c.type);
  h.accuracy = static_cast<std::uint8_t>(c.opts.accuracy);
  h.deterministic = c.opts.deterministic ? 1 : 0;
  h.pred_op = static_cast<std::uint8_t>(c.pred_op);
  h.root = root;
  h.pred_bits = c.op == op::count_if ? c.pred_bits : 0;
  h.n = c.n;
  return h;
}

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

}  // namespace switchyard::mpi::detail
