// `switchyard caps` reports as `switchyard compare` reads them: any JSON that
// passes check_report must compare and print without an exception other
// than std::runtime_error (a type_error from the JSON library is a finding:
// it was "type must be number, but is number", and before that a heap
// overflow). Input: two reports separated by a NUL byte. (format_report is
// not fuzzed: it prints only the report `switchyard caps` has just built.)
#include <cstdint>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "bench/caps/caps.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto docs = switchyard::fuzz::parts(data, size, 2);
  std::vector<nlohmann::json> reports;
  for (const auto text : docs) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) return -1;  // not JSON: the parser's own business, not worth keeping
    reports.push_back(std::move(doc));
  }
  if (reports.size() == 1) reports.push_back(reports.front());
  try {
    (void)switchyard::caps::format_comparison(reports, {"A", "B"});
  } catch (const std::runtime_error&) {
    // A clear error naming the file and what is wrong: the expected answer to bad input.
  }
  return 0;
}
