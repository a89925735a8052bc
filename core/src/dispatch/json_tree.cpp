#include "json_tree.hpp"

#include <istream>
#include <stdexcept>

namespace switchyard::detail::dispatch {
namespace {

/// Deeper than any document the library writes; a deeper one (only a
/// hand-made file) is freed below this depth nlohmann's own way.
constexpr int deepest = 64;

/// Empties j's arrays and objects, innermost first: each goes empty, and an
/// empty container's destruction allocates nothing.
void empty_from_leaves(nlohmann::json& j, int depth) noexcept {
  if (!j.is_structured() || depth > deepest) return;
  for (nlohmann::json& child : j) empty_from_leaves(child, depth + 1);
  if (depth < deepest) j.clear();
}

}  // namespace

json_tree::json_tree(std::istream& in) {
  try {
    // Into root_ itself, so that a failure half way leaves what was read
    // here, not in a temporary of nlohmann's.
    in >> root_;
    if (!(in >> std::ws).eof()) throw std::runtime_error("the document goes on after its end");
  } catch (...) {
    empty_from_leaves(root_, 0);
    throw;
  }
}

json_tree::~json_tree() { empty_from_leaves(root_, 0); }

}  // namespace switchyard::detail::dispatch
