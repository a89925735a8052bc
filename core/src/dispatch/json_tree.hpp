// A nlohmann::json document whose destruction allocates nothing.
// nlohmann::json's destructor first moves a non-empty array's or object's
// children into a std::vector (to free deep documents without recursion),
// and out of memory that allocation throws inside a noexcept destructor:
// std::terminate (nlohmann/json#4653, #5135). A json_tree empties its
// containers from the leaves up before they go, which frees each without
// that vector, on every path: a parse that fails half way, a document
// built in place whose next step fails, or one that is done with.
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

namespace switchyard::detail::dispatch {

class json_tree {
 public:
  json_tree() = default;
  /// Parses the whole of `in`: throws nlohmann's parse error, or
  /// std::bad_alloc, and what was read goes without allocating.
  explicit json_tree(std::istream& in);
  ~json_tree();
  json_tree(const json_tree&) = delete;
  json_tree& operator=(const json_tree&) = delete;

  /// The document. Build it in place (`root()["key"] = value`, push_back):
  /// a finished tree moved or copied in would go the allocating way if
  /// its own insertion failed. Make each object or array whole first
  /// (`= json::object()`, `= json::array()`): on a null value, operator[]
  /// and push_back set the type before they allocate the container, and
  /// out of memory there leave an object with nothing behind it, which
  /// the destructor of nlohmann 3.11.2 (Debian 12's) reads.
  nlohmann::json& root() noexcept { return root_; }
  const nlohmann::json& root() const noexcept { return root_; }

 private:
  nlohmann::json root_;
};

}  // namespace switchyard::detail::dispatch
