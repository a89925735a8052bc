// count_if with a built-in comparison.
#include <cstring>
#include <span>

#include <switchyard/reduce.hpp>

#include "engine.hpp"
#include "instantiate.hpp"

namespace switchyard::detail {

template <element T>
std::size_t count(std::span<const T> v, compare<T> pred, const options& o, memory where) {
  const plan p = plan_builtin(o, v.size(), where);
  if (v.empty()) return 0;
  reduction call = describe(op_kind::count, v, p);
  call.pred_op = pred.op;
  std::memcpy(&call.pred_bits, &pred.value, sizeof(T));
  return run_chunked<std::size_t>(
      p, call, [&](auto k, std::size_t b, std::size_t n) { return k.count(v.data() + b, n, pred); },
      [](std::size_t l, std::size_t r) { return l + r; });
}

#define SWITCHYARD_INSTANTIATE(T) \
  template std::size_t count<T>(std::span<const T>, compare<T>, const options&, memory);
SWITCHYARD_FOR_EACH_ELEMENT_TYPE(SWITCHYARD_INSTANTIATE)
#undef SWITCHYARD_INSTANTIATE

}  // namespace switchyard::detail
