// sum, dot, sum_of_squares and norm2.
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <switchyard/error.hpp>
#include <switchyard/reduce.hpp>

#include "engine.hpp"
#include "instantiate.hpp"
#include "kernels/common/partials.hpp"

namespace switchyard::detail {
namespace {

template <class T>
kernels::sum_partial_t<T> add_partials(const kernels::sum_partial_t<T>& l,
                                       const kernels::sum_partial_t<T>& r) {
  if constexpr (std::is_floating_point_v<T>) {
    return kernels::combine(l, r);
  } else {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(l) + static_cast<std::uint64_t>(r));
  }
}

template <class T>
sum_t<T> value_of(const kernels::sum_partial_t<T>& p) {
  if constexpr (std::is_floating_point_v<T>) {
    return kernels::finish(p);
  } else {
    return p;
  }
}

/// Sum of squares in double lanes, on the planned backend.
template <class T>
double wide_squares(const plan& p, std::span<const T> v) {
  using P = kernels::sum_partial<double>;
  return kernels::finish(run_chunked<P>(
      p, describe(op_kind::sum_of_squares_wide, v, p),
      [&](auto k, std::size_t b, std::size_t n) { return k.sum_of_squares_wide(v.data() + b, n, p.mode); },
      [](const P& l, const P& r) { return kernels::combine(l, r); }));
}

/// norm2 of doubles whose plain sum of squares overflowed or lost precision
/// to underflow: scale by a power of two (exact) so the largest |x| is near 1.
/// A rare path; it runs the scalar reference loop.
double rescaled_norm(std::span<const double> v, accuracy mode, double max_abs) {
  const double scale = std::ldexp(1.0, -std::ilogb(max_abs));
  const auto ss = kernels::scalar::layout_sum<double>(v.size(), mode, [&](std::size_t i) {
    const double x = v[i] * scale;
    return x * x;
  });
  return std::sqrt(kernels::finish(ss)) / scale;
}

/// Plans, then sums kernel(kernel_set, begin, length) over the chunks of x
/// (and y).
template <class T, class Kernel>
sum_t<T> chunked_sum(const options& o, memory where, op_kind op, std::span<const T> x, const T* y, Kernel kernel) {
  const plan p = plan_builtin(o, x.size(), where);
  if (x.empty()) return sum_t<T>{0};
  return value_of<T>(run_chunked<kernels::sum_partial_t<T>>(
      p, describe(op, x, p, y), [&](auto k, std::size_t b, std::size_t len) { return kernel(k, b, len, p.mode); },
      add_partials<T>));
}

}  // namespace

template <element T>
sum_t<T> sum(std::span<const T> v, const options& o, memory where) {
  return chunked_sum<T>(o, where, op_kind::sum, v, nullptr, [&](auto k, std::size_t b, std::size_t n, accuracy mode) {
    return k.sum(v.data() + b, n, mode);
  });
}

template <element T>
sum_t<T> dot(std::span<const T> x, std::span<const T> y, const options& o, memory where) {
  if (x.size() != y.size()) {
    throw error(errc::length_mismatch, "dot: x has " + std::to_string(x.size()) + " elements and y has " +
                                           std::to_string(y.size()) +
                                           "; pass two inputs of the same length");
  }
  return chunked_sum<T>(o, where, op_kind::dot, x, y.data(), [&](auto k, std::size_t b, std::size_t n, accuracy mode) {
    return k.dot(x.data() + b, y.data() + b, n, mode);
  });
}

template <element T>
sum_t<T> sum_of_squares(std::span<const T> v, const options& o, memory where) {
  return chunked_sum<T>(o, where, op_kind::sum_of_squares, v, nullptr, [&](auto k, std::size_t b, std::size_t n, accuracy mode) {
    return k.sum_of_squares(v.data() + b, n, mode);
  });
}

template <element T>
norm_t<T> norm2(std::span<const T> v, const options& o, memory where) {
  const plan p = plan_builtin(o, v.size(), where);
  if (v.empty()) return norm_t<T>{0};
  if constexpr (std::is_same_v<T, double>) {
    const double ss = sum_of_squares(v, o, where);
    // Below 2^-960 the squares of the largest elements may have been
    // subnormal; at infinity they overflowed. Both are exact after rescaling.
    const bool suspect = std::isinf(ss) || (ss < 0x1p-960);
    if (suspect) {
      const auto b = *minmax(v, o, where);
      const double max_abs = std::max(std::abs(b.min), std::abs(b.max));
      if (std::isfinite(max_abs) && max_abs > 0) {
        if (where == memory::host) return rescaled_norm(v, p.mode, max_abs);
        std::vector<double> host(v.size());  // the rare path reads the data on the host
        backends::cuda::copy_to_host(host.data(), v.data(), v.size_bytes());
        return rescaled_norm(host, p.mode, max_abs);
      }
    }
    return std::sqrt(ss);
  } else {
    return static_cast<norm_t<T>>(std::sqrt(wide_squares(p, v)));
  }
}

#define SWITCHYARD_INSTANTIATE(T)                                                        \
  template sum_t<T> sum<T>(std::span<const T>, const options&, memory);                          \
  template sum_t<T> dot<T>(std::span<const T>, std::span<const T>, const options&, memory);      \
  template sum_t<T> sum_of_squares<T>(std::span<const T>, const options&, memory);               \
  template norm_t<T> norm2<T>(std::span<const T>, const options&, memory);
SWITCHYARD_FOR_EACH_ELEMENT_TYPE(SWITCHYARD_INSTANTIATE)
#undef SWITCHYARD_INSTANTIATE

}  // namespace switchyard::detail
