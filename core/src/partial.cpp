// A built-in reduction in its three steps (detail/partial.hpp): a piece's
// partial from the chosen backend, the combine of two adjacent partials, and
// the finish that turns the whole input's partial into the op's result.
#include "partial_run.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <switchyard/detail/tree_reduce.hpp>
#include <switchyard/element.hpp>
#include <switchyard/error.hpp>

#include "kernels/common/chunking.hpp"
#include "kernels/common/reduction.hpp"
#include "dispatch/kernel_key.hpp"
#include "finish_result.hpp"
#include "kernels/scalar/reduce_scalar.hpp"
#include "log_sink.hpp"

namespace switchyard::detail {
namespace {

using kernels::op_kind;

[[noreturn, gnu::cold, gnu::noinline]] void throw_not_builtin(op o) {
  throw error(errc::invalid_argument, "op " + std::to_string(static_cast<int>(o)) +
                                          " is not a built-in reduction; use switchyard::op's names");
}

/// The kernel op a pass of c runs (dispatch's mapping of public ops).
op_kind kernel_op(const call& c, pass p) {
  if (p == pass::bounds) return op_kind::minmax;
  if (c.op == op::transform_reduce) throw_not_builtin(c.op);
  return dispatch::kernel_of(c.op, c.type);
}

template <class P>
P as(const partial& p) noexcept {
  static_assert(std::is_trivially_copyable_v<P> && sizeof(P) <= sizeof(partial::bytes));
  P v;
  std::memcpy(&v, p.bytes, sizeof(P));
  return v;
}

template <class P>
partial of(const P& v) noexcept {
  partial p;
  std::memcpy(p.bytes, &v, sizeof(P));
  return p;
}

/// Calls f(P{}) with the partial type of kernel op k over c's element type.
template <class F>
decltype(auto) with_partial_type(const call& c, op_kind k, F&& f) {
  return kernels::with_element(c.type, [&](auto t) { return kernels::with_partial<decltype(t)>(k, f); });
}

/// The kernel op whose partial pass p holds (scaled squares: a double sum).
op_kind partial_op(const call& c, pass p) {
  return p == pass::scaled_squares ? op_kind::sum_of_squares_wide : kernel_op(c, p);
}

/// The sum of (x * 2^-scale)^2 over c's doubles, chunk by chunk in the fixed
/// tree: the rescaled path of norm2, rare enough for the scalar loop. Device
/// data comes to the host a chunk at a time.
kernels::sum_partial<double> scaled_squares(const call& c, int scale) {
  const auto* x = static_cast<const double*>(c.x);
  std::vector<double> staged(c.where == memory::device ? std::min(c.n, kernels::chunk_elements) : 0);
  std::vector<kernels::sum_partial<double>> chunks(kernels::chunk_count(c.n));
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const std::size_t begin = i * kernels::chunk_elements;
    const std::size_t count = std::min(kernels::chunk_elements, c.n - begin);
    const double* v = x + begin;
    if (!staged.empty()) {
      copy_to_host(c, v, count, staged.data());
      v = staged.data();
    }
    chunks[i] = kernels::scalar::layout_sum<double>(count, c.opts.accuracy, [&](std::size_t j) {
      const double s = std::ldexp(v[j], -scale);
      return s * s;
    });
  }
  return tree_reduce(std::span(chunks), [](const auto& l, const auto& r) { return kernels::combine(l, r); });
}

template <class T>
void finish_main(const call& c, partials& ps, void* out) {
  if (c.op > op::count_if) throw_not_builtin(c.op);
  const bool done = with_builtin_op(c.op, [&]<op O>() {
    return finish_result<O, T>(as<main_partial_t<O, T>>(ps.main), out);
  });
  ps.next = done ? pass::done : pass::bounds;
}

/// norm2 of doubles after the bounds pass: rescale by the largest |x| when it
/// is finite and nonzero (else the plain sum of squares, inf or 0, stands).
void finish_bounds(partials& ps, void* out) {
  const auto b = as<kernels::bounds<double>>(ps.bounds);
  const double max_abs = std::max(std::abs(b.min), std::abs(b.max));
  if (std::isfinite(max_abs) && max_abs > 0) {
    ps.scale = std::ilogb(max_abs);
    ps.next = pass::scaled_squares;
    return;
  }
  ps.next = pass::done;
  put<double>(out, std::sqrt(kernels::finish(as<kernels::sum_partial<double>>(ps.main))));
}

}  // namespace

void refuse_builtin(const call& c) {
  if (c.op == op::dot && c.n != c.n_y) {
    throw error(errc::length_mismatch, "dot: x has " + std::to_string(c.n) + " elements and y has " +
                                           std::to_string(c.n_y) + "; pass two inputs of the same length");
  }
  if (c.type == element_type::other) {
    throw error(errc::invalid_argument, "a built-in reduction over a type that is not an element type");
  }
  if (c.op == op::count_if && c.pred_op > comparison::greater) {
    throw error(errc::invalid_argument, "count_if: the comparison holds " + std::to_string(static_cast<int>(c.pred_op)) +
                                            ", which is not a switchyard::comparison; use lt, le, eq, ne, ge or gt");
  }
  throw_not_builtin(c.op);
}

partial reduce_on(engine_state& e, const call& c, backend where, pass p, std::size_t index_base, int scale) {
  if (p == pass::scaled_squares) return of(scaled_squares(c, scale));
  const kernels::reduction r{kernel_op(c, p), c.type, c.opts.accuracy, c.pred_op, c.pred_bits, c.x, c.y, c.n};
  const placement place{c.where, c.opts.deterministic, e.threads_for(c.opts), &e.backend_for(backend::threads)};
  return with_partial_type(c, r.op, [&](auto partial_type) {
    using P = decltype(partial_type);
    P v{};
    throw_if_failed(e.backend_for(where).reduce(r, place, &v));
    if constexpr (requires { v.index; }) v.index += index_base;
    return of(v);
  });
}

partial reduce_partial(const call& c, pass p, std::size_t index_base, int scale) {
  check_builtin(c);
  if (c.n == 0) throw error(errc::invalid_argument, "reduce_partial: a piece of no elements has no partial");
  if (p == pass::done) throw error(errc::invalid_argument, "reduce_partial: pass::done is not a pass");
  engine_state& e = state_of(c.opts);
  const choice ch = choose(e, c, false);
  if (decisions_on()) [[unlikely]] log_choice(e, c, ch);
  return reduce_on(e, c, ch.where, p, index_base, scale);
}

partial combine_partial(const call& c, pass p, const partial& left, const partial& right) noexcept {
  try {
    const op_kind k = partial_op(c, p);
    return with_partial_type(c, k, [&](auto partial_type) {
      using P = decltype(partial_type);
      return of(kernels::combine_partials(k, as<P>(left), as<P>(right)));
    });
  } catch (...) {  // not a built-in op: reduce_partial refused it already
    return left;
  }
}

void shift_index(const call& c, pass p, partial& part, std::size_t by) noexcept {
  if (p != pass::main || (c.op != op::min && c.op != op::max && c.op != op::argmin && c.op != op::argmax)) return;
  kernels::with_element(c.type, [&](auto t) {
    auto e = as<kernels::extremum<decltype(t)>>(part);
    e.index += by;
    part = of(e);
  });
}

void finish(const call& c, partials& ps, void* result) {
  switch (ps.next) {
    case pass::main: return kernels::with_element(c.type, [&](auto t) { finish_main<decltype(t)>(c, ps, result); });
    case pass::bounds: return finish_bounds(ps, result);
    case pass::scaled_squares:
      ps.next = pass::done;
      return put<double>(result, std::ldexp(std::sqrt(kernels::finish(as<kernels::sum_partial<double>>(ps.scaled_squares))), ps.scale));
    case pass::done: return;
  }
}

void log_choice(const engine_state& e, const call& c, choice ch) {
  log_line(log_level::decision, std::string(to_string(c.op)) + " of " + std::to_string(c.n) + " elements on " +
                                    std::string(to_string(ch.where)) + ": " + describe_choice(e, c, ch));
}

std::size_t builtin_chunk_elements() noexcept { return kernels::chunk_elements; }

void copy_to_host(const call& c, const void* from, std::size_t count, void* to) {
  const std::size_t bytes = count * c.element_bytes;
  if (c.where != memory::device) {
    if (bytes != 0) std::memcpy(to, from, bytes);
    return;
  }
  device_memory* device = state_of(c.opts).backend_for(backend::cuda).memory_on_device();
  if (device == nullptr) throw error(errc::backend_unavailable, "no backend holds GPU memory here");
  throw_if_failed(device->copy_to_host(to, from, bytes));
}

}  // namespace switchyard::detail
