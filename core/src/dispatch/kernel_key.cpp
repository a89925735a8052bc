// Names of kernel keys (kernel_key.hpp), as the profile stores them.
#include "kernel_key.hpp"

namespace switchyard::detail::dispatch {

std::string key_name(kernel_key k) {
  static constexpr const char* ops[op_kinds] = {"sum",    "dot",    "sum_of_squares", "sum_of_squares_wide",
                                                "argmin", "argmax", "minmax",         "count"};
  static constexpr const char* types[element_types] = {"f32", "f64", "i32", "i64", "u8"};
  static constexpr const char* modes[accuracies] = {"fast", "pairwise", "compensated"};
  std::string name = std::string(ops[static_cast<std::size_t>(k.op)]) + "/" + types[static_cast<std::size_t>(k.type)];
  if (accuracy_matters(k.op, k.type)) name += std::string("/") + modes[static_cast<std::size_t>(k.mode)];
  return name;
}

}  // namespace switchyard::detail::dispatch
