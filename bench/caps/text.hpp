// Small text helpers shared by the caps table and the comparison.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace switchyard::caps {

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
