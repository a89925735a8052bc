// min, max, argmin, argmax and minmax.
#include <optional>
#include <span>

#include <switchyard/reduce.hpp>

#include "engine.hpp"
#include "instantiate.hpp"
#include "kernels/common/partials.hpp"

namespace switchyard::detail {
namespace {

template <bool kMax, class T>
std::optional<indexed<T>> arg_extremum(std::span<const T> v, const options& o, memory where) {
  const plan p = plan_builtin(o, v.size(), where);
  if (v.empty()) return std::nullopt;
  using P = kernels::extremum<T>;
  const P best = run_chunked<P>(
      p, describe(kMax ? op_kind::argmax : op_kind::argmin, v, p),
      [&](auto k, std::size_t b, std::size_t n) {
        P e = kMax ? k.argmax(v.data() + b, n) : k.argmin(v.data() + b, n);
        e.index += b;
        return e;
      },
      kernels::combine_extremum<kMax, T>);
  return indexed<T>{best.value, best.index};
}

}  // namespace

template <element T>
std::optional<indexed<T>> argmin(std::span<const T> v, const options& o, memory where) {
  return arg_extremum<false>(v, o, where);
}

template <element T>
std::optional<indexed<T>> argmax(std::span<const T> v, const options& o, memory where) {
  return arg_extremum<true>(v, o, where);
}

template <element T>
std::optional<T> min(std::span<const T> v, const options& o, memory where) {
  if (auto e = arg_extremum<false>(v, o, where)) return e->value;
  return std::nullopt;
}

template <element T>
std::optional<T> max(std::span<const T> v, const options& o, memory where) {
  if (auto e = arg_extremum<true>(v, o, where)) return e->value;
  return std::nullopt;
}

template <element T>
std::optional<min_max<T>> minmax(std::span<const T> v, const options& o, memory where) {
  const plan p = plan_builtin(o, v.size(), where);
  if (v.empty()) return std::nullopt;
  using P = kernels::bounds<T>;
  const P b = run_chunked<P>(
      p, describe(op_kind::minmax, v, p), [&](auto k, std::size_t begin, std::size_t n) { return k.minmax(v.data() + begin, n); },
      kernels::combine_bounds<T>);
  return min_max<T>{b.min, b.max};
}

#define SWITCHYARD_INSTANTIATE(T)                                                        \
  template std::optional<indexed<T>> argmin<T>(std::span<const T>, const options&, memory);      \
  template std::optional<indexed<T>> argmax<T>(std::span<const T>, const options&, memory);      \
  template std::optional<T> min<T>(std::span<const T>, const options&, memory);                  \
  template std::optional<T> max<T>(std::span<const T>, const options&, memory);                  \
  template std::optional<min_max<T>> minmax<T>(std::span<const T>, const options&, memory);
SWITCHYARD_FOR_EACH_ELEMENT_TYPE(SWITCHYARD_INSTANTIATE)
#undef SWITCHYARD_INSTANTIATE

}  // namespace switchyard::detail
