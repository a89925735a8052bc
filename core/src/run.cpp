// The library's one entry for built-in reductions: check the call, choose its
// backend, map the public op onto the kernels' ops, have the backend reduce,
// and finish the partial into the op's result. Also the entry for a caller's
// callables, and explain().
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <switchyard/backends.hpp>
#include <switchyard/detail/call.hpp>
#include <switchyard/element.hpp>
#include <switchyard/error.hpp>
#include <switchyard/log.hpp>

#include "choose.hpp"
#include "engine_state.hpp"
#include "kernels/common/reduction.hpp"
#include "kernels/scalar/reduce_scalar.hpp"
#include "log_sink.hpp"

namespace switchyard::detail {
namespace {

using kernels::op_kind;

/// One call as the backends and kernels see it.
class reduction_run {
 public:
  reduction_run(engine_state& e, const call& c, choice ch)
      : c_(c),
        backend_(e.backend_for(ch.where)),
        placement_{c.where, c.opts.deterministic, e.threads_for(c.opts), &e.backend_for(backend::threads)},
        engine_(e) {}

  /// The whole input's partial of kernel op k.
  template <class P>
  P reduce(op_kind k) const {
    const kernels::reduction r{k, c_.type, c_.opts.accuracy, c_.pred_op, c_.pred_bits, c_.x, c_.y, c_.n};
    P partial{};
    throw_if_failed(backend_.reduce(r, placement_, &partial));
    return partial;
  }

  template <class T>
  void finish(void* out) const {
    switch (c_.op) {
      case op::sum: return put<sum_t<T>>(out, value_of<T>(reduce<kernels::sum_partial_t<T>>(op_kind::sum)));
      case op::dot: return put<sum_t<T>>(out, value_of<T>(reduce<kernels::sum_partial_t<T>>(op_kind::dot)));
      case op::sum_of_squares:
        return put<sum_t<T>>(out, value_of<T>(reduce<kernels::sum_partial_t<T>>(op_kind::sum_of_squares)));
      case op::norm2: return put<norm_t<T>>(out, norm2<T>());
      case op::min: return put<std::optional<T>>(out, reduce<kernels::extremum<T>>(op_kind::argmin).value);
      case op::max: return put<std::optional<T>>(out, reduce<kernels::extremum<T>>(op_kind::argmax).value);
      case op::argmin:
      case op::argmax: {
        const auto e = reduce<kernels::extremum<T>>(c_.op == op::argmin ? op_kind::argmin : op_kind::argmax);
        return put<std::optional<indexed<T>>>(out, indexed<T>{e.value, e.index});
      }
      case op::minmax: {
        const auto b = reduce<kernels::bounds<T>>(op_kind::minmax);
        return put<std::optional<min_max<T>>>(out, min_max<T>{b.min, b.max});
      }
      case op::count_if: return put<std::size_t>(out, reduce<std::size_t>(op_kind::count));
      case op::transform_reduce: break;
    }
    throw error(errc::invalid_argument, "op " + std::to_string(static_cast<int>(c_.op)) +
                                            " is not a built-in reduction; use switchyard::op's names");
  }

 private:
  template <class R, class V>
  static void put(void* out, V&& v) {
    *static_cast<R*>(out) = std::forward<V>(v);
  }

  template <class T>
  static sum_t<T> value_of(const kernels::sum_partial_t<T>& p) {
    if constexpr (std::is_floating_point_v<T>) {
      return kernels::finish(p);
    } else {
      return p;
    }
  }

  template <class T>
  norm_t<T> norm2() const {
    if constexpr (std::is_same_v<T, double>) {
      const double ss = kernels::finish(reduce<kernels::sum_partial<double>>(op_kind::sum_of_squares));
      // Below 2^-960 the squares of the largest elements may have been
      // subnormal; at infinity they overflowed. Both are exact after rescaling.
      if (std::isinf(ss) || ss < 0x1p-960) {
        const auto b = reduce<kernels::bounds<double>>(op_kind::minmax);
        const double max_abs = std::max(std::abs(b.min), std::abs(b.max));
        if (std::isfinite(max_abs) && max_abs > 0) return rescaled_norm(max_abs);
      }
      return std::sqrt(ss);
    } else {
      return static_cast<norm_t<T>>(std::sqrt(kernels::finish(reduce<kernels::sum_partial<double>>(op_kind::sum_of_squares_wide))));
    }
  }

  /// norm2 of doubles scaled by 2^-e so the largest |x| is near 1 (exact, and
  /// ldexp per element, so no scale factor can overflow even for subnormal
  /// input). A rare path; it runs the scalar reference loop on the host.
  double rescaled_norm(double max_abs) const {
    std::vector<double> copy;
    const double* v = static_cast<const double*>(c_.x);
    if (c_.where == memory::device) {
      copy.resize(c_.n);
      device_memory* device = engine_.backend_for(backend::cuda).memory_on_device();
      if (device == nullptr) throw error(errc::backend_unavailable, "no backend holds GPU memory here");
      throw_if_failed(device->copy_to_host(copy.data(), v, c_.n * sizeof(double)));
      v = copy.data();
    }
    const int e = std::ilogb(max_abs);
    const auto ss = kernels::scalar::layout_sum<double>(c_.n, c_.opts.accuracy, [&](std::size_t i) {
      const double x = std::ldexp(v[i], -e);
      return x * x;
    });
    return std::ldexp(std::sqrt(kernels::finish(ss)), e);
  }

  const call& c_;
  compute_backend& backend_;
  placement placement_;
  engine_state& engine_;
};

void log_choice(const engine_state& e, const call& c, choice ch) {
  log_line(log_level::decision, std::string(to_string(c.op)) + " of " + std::to_string(c.n) + " elements on " +
                                    std::string(to_string(ch.where)) + ": " + describe_choice(e, c, ch));
}

}  // namespace

void run(const call& c, void* result) {
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
  engine_state& e = state_of(c.opts);
  const choice ch = choose(e, c, false);
  if (decisions_on()) [[unlikely]] log_choice(e, c, ch);
  if (c.n == 0) return;  // the caller's result is value-initialized: 0 or nullopt
  const reduction_run r(e, c, ch);
  if (ch.by == decided_by::model && static_cast<double>(c.n * c.element_bytes) >= dispatch::dispatcher::drift_sample_bytes &&
      e.dispatch().wants_sample()) [[unlikely]] {
    const auto t0 = std::chrono::steady_clock::now();
    kernels::with_element(c.type, [&](auto t) { r.finish<decltype(t)>(result); });
    const dispatch::query q{dispatch::key_of(c), c.where, c.n, e.threads_for(c.opts)};
    e.dispatch().observe(q, ch.where, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
    return;
  }
  kernels::with_element(c.type, [&](auto t) { r.finish<decltype(t)>(result); });
}

void run_callable(const call& c, std::size_t chunks, function_ref<void(std::size_t)> body) {
  engine_state& e = state_of(c.opts);
  const choice ch = choose(e, c, true);
  if (decisions_on()) [[unlikely]] log_choice(e, c, ch);
  if (chunks == 0) return;
  throw_if_failed(e.backend_for(ch.where).run_chunks(chunks, e.threads_for(c.opts), body));
}

decision explain(const call& c) {
  engine_state& e = state_of(c.opts);
  const bool callables = c.op == op::transform_reduce || (c.type == element_type::other);
  const choice ch = choose(e, c, callables);
  return explain_choice(e, c, ch, callables);
}

}  // namespace switchyard::detail
