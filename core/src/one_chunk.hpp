// A call that fits in one chunk, run whole: the chunk's partial from a kernel
// set, then the op's result from it. These are the steps, and so the bits, of
// a chunked backend's reduce() followed by finish(), with the op and types
// fixed at compile time instead of found by the switches between the layers,
// which cost a small call more than its kernel does (docs/PERF.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

#include <switchyard/detail/call.hpp>

#include "compute_backend.hpp"
#include "finish_result.hpp"
#include "kernels/common/chunk_kernel.hpp"

namespace switchyard::detail {

static_assert(static_cast<std::size_t>(op::count_if) + 1 == std::tuple_size_v<one_chunk_calls>,
              "one_chunk_calls has a row for every built-in op");
static_assert(static_cast<std::size_t>(element_type::u8) + 1 == std::tuple_size_v<one_chunk_calls::value_type>,
              "and a column for every element type, in element_type's order");

template <class KernelSet, op O, class T>
bool run_whole(const call& c, void* result) {
  using P = main_partial_t<O, T>;
  const kernels::reduction r{main_kernel<O, T>, c.type, c.opts.accuracy, c.pred_op, c.pred_bits, c.x, c.y, c.n};
  const P p = kernels::run_chunk<KernelSet, T, P>(r, static_cast<const T*>(c.x), static_cast<const T*>(c.y), 0, c.n);
  return finish_result<O, T>(p, result);
}

/// The whole_call table of KernelSet: every built-in op over every element
/// type, indexed as one_chunk_calls is.
template <class KernelSet>
const one_chunk_calls& one_chunk_calls_of() {
  static constexpr one_chunk_calls table = []<std::size_t... Op>(std::index_sequence<Op...>) {
    auto row = []<op O>() {
      return std::array<whole_call, 5>{&run_whole<KernelSet, O, float>, &run_whole<KernelSet, O, double>,
                                       &run_whole<KernelSet, O, std::int32_t>, &run_whole<KernelSet, O, std::int64_t>,
                                       &run_whole<KernelSet, O, std::uint8_t>};
    };
    return one_chunk_calls{row.template operator()<static_cast<op>(Op)>()...};
  }(std::make_index_sequence<std::tuple_size_v<one_chunk_calls>>{});
  return table;
}

}  // namespace switchyard::detail
