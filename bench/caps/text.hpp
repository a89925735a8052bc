// Small text helpers shared by the caps table and the comparison.
#pragma once

#include <optional>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/src/dispatch/other_work.hpp"

namespace switchyard::caps {

/// j[key] as a T (bool, double or std::string), or `fallback` where j is no
/// object, lacks the key or holds another type there: for reading reports a
/// user may have edited, where a JSON type_error would be the answer.
template <class T>
T field(const nlohmann::json& j, const char* key, T fallback) {
  static_assert(std::is_same_v<T, bool> || std::is_same_v<T, double> || std::is_same_v<T, std::string>);
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) return it->is_boolean() ? it->template get<bool>() : fallback;
  else if constexpr (std::is_same_v<T, double>) return it->is_number() ? it->template get<double>() : fallback;
  else return it->is_string() ? it->template get<std::string>() : fallback;
}

/// j[key] where it is an array, else an empty one (absent, or another type).
inline const nlohmann::json& list(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::array();
  if (!j.is_object()) return empty;
  const auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

/// The "other_work" (other programs' CPU time while it measured) of a caps
/// report or a bench run's context, where it has one that reads as such
/// (documents written before it lack it).
std::optional<detail::dispatch::other_work> other_work_of(const nlohmann::json& document);
/// What other_work_of reads back.
nlohmann::json other_work_json(const detail::dispatch::other_work& o);

/// "32 KiB", "1 MiB", "1.5 GiB".
std::string bytes(double b);
/// Three significant digits, no exponent for everyday magnitudes.
std::string number(double v);
/// "a, b, c" from a JSON array of strings.
std::string join(const nlohmann::json& strings);
std::string describe_cpu(const nlohmann::json& cpu);
std::string describe_caches(const nlohmann::json& caches);
std::string describe_uring(const nlohmann::json& uring);
std::string describe_cuda(const nlohmann::json& cuda);

}  // namespace switchyard::caps
