// The built-in reductions over data spread across the ranks of an MPI
// communicator (the switchyard::mpi component: find_package(switchyard
// COMPONENTS mpi), target switchyard::mpi). Each rank passes its own part of
// one long input, in rank order; each rank reduces its part with local
// dispatch (any backend; cuda for a device_array), and the partial results
// combine across the ranks:
//
//     MPI_Init(&argc, &argv);                      // the caller's; never the library's
//     std::vector<float> local = my_part();
//     float total = switchyard::mpi::sum(MPI_COMM_WORLD, local, {.deterministic = true});
//
// The edge rules are the single-process ones over the concatenated input:
// argmin, argmax and minmax give global indices, the lowest global index
// wins ties, the first NaN in global order wins; an input empty on every rank
// gives 0 or std::nullopt.
//
// With deterministic = true the result has the bits of one process's
// reduction of the concatenated input, for any number of ranks and any split
// (unequal, not aligned to anything). How: the one-process result is a fixed
// binary tree over 64 Ki-element chunks of the whole input. Each chunk is
// reduced by the rank that holds its first element (the few elements of a
// chunk that spill onto the next ranks are sent to it); each rank reduces its
// chunks as whole subtrees of that tree (runs of 2^k chunks starting at a
// multiple of 2^k), and every rank rebuilds the same tree from the subtrees'
// partials. Cost: at most one chunk's elements (256 KiB of floats) sent per
// rank, at most two 16-byte partials per tree level gathered, and three
// exchanges instead of one (docs/PERF.md: about 1.0x plain mode at
// memory-bound sizes, 2-4x its few-microsecond fixed cost). Without it, each
// rank's whole part is one partial, combined in rank order (float sums then
// depend on the split, as MPI_Allreduce's do). GPU parts (device_array) run
// on cuda, whose floating-point sums have bits of their own: there,
// deterministic = true holds for the exact ops (extrema, counts, integer
// sums) and is refused for float sums and norm2 (unsupported_operation).
//
// Each call is a collective: every rank of the communicator makes the same
// calls in the same order, one at a time per communicator (MPI's rule; from
// several threads at once only with MPI_THREAD_MULTIPLE and a communicator
// per thread). The local work may use threads or worker processes; only the
// calling thread calls MPI.
//
// Failure: the same switchyard::error on every rank, never a hang or an
// abort: ranks that disagree on the op, element type, accuracy, comparison,
// deterministic or root (invalid_argument), a rank whose own part fails
// (its code and message, prefixed with its rank), MPI_COMM_NULL or MPI not
// initialized (invalid_argument, on the ranks that passed it). A rank that
// never arrives (it died, or called something else) makes the others throw
// errc::timed_out after collective::timeout. MPI cannot cancel a collective,
// so after a timeout the communicator must not be used again. (Open MPI's
// mpirun ends the whole job when a rank dies unless it runs with
// --enable-recovery.)
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/export.hpp>
#include <switchyard/detail/range.hpp>
#include <switchyard/device_array.hpp>
#include <switchyard/element.hpp>
#include <switchyard/error.hpp>
#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>

namespace switchyard::mpi {

/// collective::root's value for a result on every rank (an allreduce).
inline constexpr int all_ranks = -1;

/// The ranks that take part, where the result goes, and how long a rank waits
/// for the others. Converts from an MPI_Comm: `mpi::sum(MPI_COMM_WORLD, v)`
/// gives the result on every rank, `mpi::sum({MPI_COMM_WORLD, 0}, v)` on rank
/// 0 alone (the others get a value-initialized result: 0 or std::nullopt).
struct collective {
  collective(MPI_Comm c, int root_rank = all_ranks,  // NOLINT: converts from MPI_Comm on purpose
             std::chrono::milliseconds wait_limit = std::chrono::seconds(60)) noexcept
      : comm(c), root(root_rank), timeout(wait_limit) {}

  MPI_Comm comm;
  int root = all_ranks;
  /// How long a rank waits for the slowest other rank, from its own arrival.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

namespace detail {

using switchyard::detail::call;
using switchyard::detail::memory;

/// Runs the described local part as one piece of the reduction across the
/// collective's ranks and writes the result (the op's result type) on the
/// ranks that receive it. Throws switchyard::error.
SWITCHYARD_API void run(const collective& where, const call& local, void* result);

template <class Result, element T>
Result run_op(const collective& where, switchyard::op o, std::span<const T> x, const options& opts,
              memory at = memory::host, std::span<const T> y = {}) {
  Result result{};
  run(where, switchyard::detail::describe(o, x, opts, at, y), &result);
  return result;
}

/// A rank's part as a span and where it lives: any contiguous range of
/// elements (a shared_array is shared memory), or a device_array.
template <switchyard::detail::contiguous_elements R>
auto part_of(const R& r) noexcept {
  return std::pair{switchyard::detail::as_span(r), switchyard::detail::location_of<R>};
}
template <element T>
auto part_of(const device_array<T>& a) noexcept {
  return std::pair{device_span(a), memory::device};
}

template <class R>
concept local_part = requires(const R& r) { part_of(r); };

template <local_part R>
using element_of = std::remove_const_t<typename decltype(part_of(std::declval<const R&>()).first)::element_type>;

template <class R>
inline constexpr bool on_device = false;
template <class T>
inline constexpr bool on_device<device_array<T>> = true;

template <class Result, local_part R>
Result run_one(const collective& where, switchyard::op o, const R& local, const options& opts) {
  const auto [x, at] = part_of(local);
  return run_op<Result>(where, o, x, opts, at);
}

}  // namespace detail

/// The sum of every rank's part.
template <detail::local_part R>
auto sum(const collective& where, const R& local, const options& o = {}) {
  return detail::run_one<sum_t<detail::element_of<R>>>(where, op::sum, local, o);
}

/// The inner product of x and y, each rank holding equal-length parts of both
/// (length_mismatch on every rank when one rank's parts differ in length).
template <detail::local_part R1, detail::local_part R2>
  requires std::same_as<detail::element_of<R1>, detail::element_of<R2>> &&
           (detail::on_device<R1> == detail::on_device<R2>)
auto dot(const collective& where, const R1& x, const R2& y, const options& o = {}) {
  const auto [xs, x_at] = detail::part_of(x);
  const auto [ys, y_at] = detail::part_of(y);
  return detail::run_op<sum_t<detail::element_of<R1>>>(where, op::dot, xs, o,
                                                       x_at == y_at ? x_at : detail::memory::host, ys);
}

/// The sum of the squares.
template <detail::local_part R>
auto sum_of_squares(const collective& where, const R& local, const options& o = {}) {
  return detail::run_one<sum_t<detail::element_of<R>>>(where, op::sum_of_squares, local, o);
}

/// The Euclidean norm, rescaled as the single-process norm2 is.
template <detail::local_part R>
auto norm2(const collective& where, const R& local, const options& o = {}) {
  return detail::run_one<norm_t<detail::element_of<R>>>(where, op::norm2, local, o);
}

/// The least element, std::nullopt when every part is empty.
template <detail::local_part R>
auto min(const collective& where, const R& local, const options& o = {}) {
  return detail::run_one<std::optional<detail::element_of<R>>>(where, op::min, local, o);
}

/// The greatest element, std::nullopt when every part is empty.
template <detail::local_part R>
auto max(const collective& where, const R& local, const options& o = {}) {
  return detail::run_one<std::optional<detail::element_of<R>>>(where, op::max, local, o);
}

/// The least element and its global index (rank 0's elements first).
template <detail::local_part R>
auto argmin(const collective& where, const R& local, const options& o = {}) {
  return detail::run_one<std::optional<indexed<detail::element_of<R>>>>(where, op::argmin, local, o);
}

/// The greatest element and its global index.
template <detail::local_part R>
auto argmax(const collective& where, const R& local, const options& o = {}) {
  return detail::run_one<std::optional<indexed<detail::element_of<R>>>>(where, op::argmax, local, o);
}

/// The least and greatest element.
template <detail::local_part R>
auto minmax(const collective& where, const R& local, const options& o = {}) {
  return detail::run_one<std::optional<min_max<detail::element_of<R>>>>(where, op::minmax, local, o);
}

/// How many elements satisfy a built-in comparison (switchyard::gt(0.0f),
/// ...); every rank must pass the same one. A value of another type than the
/// elements compares in the elements' type when it converts exactly
/// (`gt(50)` over floats); one that does not (`gt(0.5)` over integers) is
/// switchyard::error (unsupported_operation): across ranks only the built-in
/// comparisons run, not the wider-type path of the one-process count_if.
template <detail::local_part R, element U>
std::size_t count_if(const collective& where, const R& local, compare<U> pred, const options& o = {}) {
  using T = detail::element_of<R>;
  const std::optional<T> value = switchyard::detail::exactly_as<T>(pred.value);
  if (!value) {
    throw error(errc::unsupported_operation,
                "switchyard::mpi::count_if: the comparison's value does not convert exactly to the elements' type; "
                "pass a value of that type");
  }
  const auto [x, at] = detail::part_of(local);
  std::size_t count = 0;
  detail::run(where, switchyard::detail::describe_count(x, compare<T>{pred.op, *value}, o, at), &count);
  return count;
}

}  // namespace switchyard::mpi
