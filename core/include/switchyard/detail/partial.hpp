// A built-in reduction taken apart: the partial result the combine tree holds
// for a piece of the input, how two adjacent pieces' partials combine, and how
// the whole input's partial becomes the op's result. detail::run is these
// three steps in one process; the MPI component runs the first on each rank's
// pieces and the other two after the partials have travelled, so that a
// reduction split across processes combines exactly as one process's would.
// Partials are trivially copyable bytes: they can be sent as they are.
#pragma once

#include <cstddef>
#include <cstdint>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/export.hpp>

namespace switchyard::detail {

/// One partial: a (hi, lo) sum, an extremum and its index, a (min, max) pair
/// or a count, as the op and element type say.
struct partial {
  alignas(8) std::byte bytes[16]{};
};

/// The passes over the input a reduction makes: one, except norm2 of doubles
/// whose sum of squares overflowed or underflowed, which then finds the
/// largest |x| (bounds) and sums the squares again scaled by 2^-scale.
enum class pass : std::uint8_t { main, bounds, scaled_squares, done };

/// The partials of every pass made so far over the whole input, and the pass
/// that finish() asks for next.
struct partials {
  partial main;
  partial bounds;
  partial scaled_squares;
  int scale = 0;  ///< the exponent scaled_squares divides by
  pass next = pass::main;

  /// Where the partial of pass `next` goes.
  partial& of_next() noexcept {
    return next == pass::bounds ? bounds : next == pass::scaled_squares ? scaled_squares : main;
  }
};

/// The partial of `p` over the call's input (c.n >= 1 elements, run on the
/// backend the call's options and local dispatch choose). An extremum's index
/// is counted from `index_base`. The pieces of one input give the partials of
/// one process's combine tree when each starts at a multiple of
/// chunk_elements and spans a power of two of chunks (or runs to the end).
/// Throws switchyard::error.
SWITCHYARD_API partial reduce_partial(const call& c, pass p, std::size_t index_base = 0, int scale = 0);

/// The partial of two adjacent pieces, `left` holding the lower indices.
SWITCHYARD_API partial combine_partial(const call& c, pass p, const partial& left, const partial& right) noexcept;

/// Counts an extremum's index from `by` more (a piece reduced before its
/// place in the whole input was known); nothing for other partials.
SWITCHYARD_API void shift_index(const call& c, pass p, partial& part, std::size_t by) noexcept;

/// Moves the reduction of c (n the whole input's length) on by one pass:
/// with every pass up to ps.next done, either writes the op's result into
/// `result` (the op's result type, as for run; nothing when it is null) and
/// sets ps.next to done, or sets ps.next (and ps.scale) to the pass still
/// needed.
SWITCHYARD_API void finish(const call& c, partials& ps, void* result);

/// Elements per chunk of built-in reductions: the unit of the combine tree.
SWITCHYARD_API std::size_t builtin_chunk_elements() noexcept;

/// Copies `count` elements from `from` (in the call's memory: host, shared,
/// pinned or GPU) to host memory at `to`.
SWITCHYARD_API void copy_to_host(const call& c, const void* from, std::size_t count, void* to);

}  // namespace switchyard::detail
