// The operations switchyard runs, named so that a call can be described as
// data: what explain() reports on, what the dispatcher keys its models by,
// what a decision line in the log names.
#pragma once

#include <cstdint>
#include <string_view>

#include <switchyard/detail/export.hpp>

namespace switchyard {

/// Every built-in reduction, plus transform_reduce (a caller's callables).
enum class op : std::uint8_t {
  sum,
  dot,
  sum_of_squares,
  norm2,
  min,
  max,
  argmin,
  argmax,
  minmax,
  count_if,
  transform_reduce,
};

/// "sum", "dot", ...; "invalid" for a value outside the enum.
SWITCHYARD_API std::string_view to_string(op o) noexcept;

}  // namespace switchyard
