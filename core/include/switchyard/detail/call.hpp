// A call described once: which op, over which element type, how many elements
// where, with which options. Every public function builds one at its top and
// hands it to the library's one entry point, which chooses a backend and runs
// it; explain() takes the same description. The entry points are plain
// (non-template) functions, so their symbols do not depend on how a compiler
// mangles templates: a program built with clang++ links a library built with
// g++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include <switchyard/detail/export.hpp>
#include <switchyard/detail/function_ref.hpp>
#include <switchyard/element.hpp>
#include <switchyard/op.hpp>
#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

namespace switchyard {
struct decision;
}

namespace switchyard::detail {

/// Where a call's data lives: pageable host memory (a std::vector, any
/// contiguous range), a shared_array (which worker processes map without a
/// copy), page-locked host memory (which the GPU reads without staging), or
/// GPU memory (a device_array, which only the cuda backend reads).
enum class memory : std::uint8_t { host, shared, pinned, device };

struct call {
  switchyard::op op;
  element_type type;
  memory where = memory::host;
  std::size_t n = 0;
  const void* x = nullptr;
  const void* y = nullptr;  ///< dot's second input
  std::size_t n_y = 0;      ///< its length (dot refuses two lengths)
  std::size_t element_bytes = 0;
  comparison pred_op = comparison::equal;  ///< count_if's built-in comparison
  std::uint64_t pred_bits = 0;             ///< its value's bytes
  options opts;
};

template <class T>
call describe(switchyard::op o, std::span<const T> x, const options& opts, memory where = memory::host,
              std::span<const T> y = {}) noexcept {
  return {o,           element_type_of<T>(), where,
          x.size(),    x.data(),             y.data(),
          y.size(),    sizeof(T),            comparison::equal,
          0,           opts};
}

template <element T>
call describe_count(std::span<const T> x, compare<T> pred, const options& opts,
                    memory where = memory::host) noexcept {
  call c = describe(switchyard::op::count_if, x, opts, where);
  c.pred_op = pred.op;
  std::memcpy(&c.pred_bits, &pred.value, sizeof(T));
  return c;
}

/// Runs a built-in reduction. `result` points at the op's result type for the
/// call's element type (reduce.hpp names each). Throws switchyard::error.
SWITCHYARD_API void run(const call& c, void* result);

/// Runs body(chunk) for every chunk in [0, chunks) of a call with a caller's
/// callables (transform_reduce, count_if with any predicate) on the backend
/// chosen for it (serial or threads). Exceptions from body propagate.
SWITCHYARD_API void run_callable(const call& c, std::size_t chunks, function_ref<void(std::size_t)> body);

/// What run would choose for the call, and why.
SWITCHYARD_API switchyard::decision explain(const call& c);

/// Elements per chunk for caller-supplied callables. Fixed (not derived from
/// the thread count) so that the combine tree, and so the result, is the same
/// for any thread count.
inline constexpr std::size_t generic_chunk_elements = std::size_t{1} << 14;

}  // namespace switchyard::detail
