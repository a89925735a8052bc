// What a kernel's speed depends on, as one small index: the kernel op, the
// element type and, for floating-point sums, the accuracy mode. The cost
// model keeps one compute rate per key; the decision table one row per key
// and data location.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include <switchyard/detail/call.hpp>

#include "kernels/common/reduction.hpp"

namespace switchyard::detail::dispatch {

using kernels::op_kind;

inline constexpr std::size_t op_kinds = 8;
inline constexpr std::size_t element_types = 5;  // f32, f64, i32, i64, u8
inline constexpr std::size_t accuracies = 3;
inline constexpr std::size_t key_count = op_kinds * element_types * accuracies;

/// Where data lives, as the model distinguishes it (call.hpp's memory).
inline constexpr std::size_t location_count = 4;

struct kernel_key {
  op_kind op;
  element_type type;
  accuracy mode;
};

/// Whether the accuracy mode changes the kernel: sums of floating-point
/// values, and the wide sum of squares (accumulated in double for any type).
constexpr bool accuracy_matters(op_kind op, element_type t) noexcept {
  const bool sum_like = op == op_kind::sum || op == op_kind::dot || op == op_kind::sum_of_squares;
  return op == op_kind::sum_of_squares_wide || (sum_like && (t == element_type::f32 || t == element_type::f64));
}

/// The key with the accuracy folded away where it does not matter.
constexpr kernel_key normalized(kernel_key k) noexcept {
  if (!accuracy_matters(k.op, k.type)) k.mode = accuracy::fast;
  return k;
}

constexpr std::size_t index_of(kernel_key k) noexcept {
  k = normalized(k);
  return (static_cast<std::size_t>(k.op) * element_types + static_cast<std::size_t>(k.type)) * accuracies +
         static_cast<std::size_t>(k.mode);
}

constexpr kernel_key key_at(std::size_t i) noexcept {
  return {static_cast<op_kind>(i / (element_types * accuracies)),
          static_cast<element_type>(i / accuracies % element_types), static_cast<accuracy>(i % accuracies)};
}

/// Whether slot i is a key of its own (not one whose accuracy folds away).
constexpr bool is_canonical(std::size_t i) noexcept { return index_of(key_at(i)) == i; }

constexpr std::size_t element_bytes(element_type t) noexcept {
  switch (t) {
    case element_type::f32:
    case element_type::i32: return 4;
    case element_type::f64:
    case element_type::i64: return 8;
    case element_type::u8:
    case element_type::other: break;
  }
  return 1;
}

/// The kernel a public op runs, for dispatch and for running it (partial.cpp):
/// min and max are argmin and argmax without the index, norm2 of all but
/// doubles the wide sum of squares (doubles rescale instead).
constexpr op_kind kernel_of(switchyard::op o, element_type t) noexcept {
  switch (o) {
    case switchyard::op::sum: return op_kind::sum;
    case switchyard::op::dot: return op_kind::dot;
    case switchyard::op::sum_of_squares: return op_kind::sum_of_squares;
    case switchyard::op::norm2: return t == element_type::f64 ? op_kind::sum_of_squares : op_kind::sum_of_squares_wide;
    case switchyard::op::min:
    case switchyard::op::argmin: return op_kind::argmin;
    case switchyard::op::max:
    case switchyard::op::argmax: return op_kind::argmax;
    case switchyard::op::minmax: return op_kind::minmax;
    case switchyard::op::count_if:
    case switchyard::op::transform_reduce: break;
  }
  return op_kind::count;
}

constexpr kernel_key key_of(const call& c) noexcept {
  return normalized({kernel_of(c.op, c.type), c.type, c.opts.accuracy});
}

/// Bytes a call reads: dot reads two inputs.
constexpr double bytes_read(op_kind op, element_type t, std::size_t n) noexcept {
  return static_cast<double>(n) * static_cast<double>(element_bytes(t)) * (op == op_kind::dot ? 2.0 : 1.0);
}

/// "sum/f32/compensated", "argmin/u8": the profile's names for keys.
std::string key_name(kernel_key k);

}  // namespace switchyard::detail::dispatch
