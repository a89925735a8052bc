// results.json as `switchyard bench`'s report and `switchyard compare` of two
// runs read it: whatever the document holds, results_view either accepts it
// or throws std::runtime_error, and what it accepts renders and compares.
// Also the closing of a suite's JSON stream cut off mid-write. Input: two
// documents separated by a NUL byte.
#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "harness/compare_results.hpp"
#include "harness/report.hpp"
#include "harness/results.hpp"

namespace sb = switchyard::bench;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto docs = switchyard::fuzz::parts(data, size, 2);
  (void)sb::close_truncated_benchmark_json(std::string(docs.front()));
  std::vector<sb::results_view> views;
  for (const auto text : docs) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) return 0;
    try {
      views.emplace_back(std::move(doc));
    } catch (const std::runtime_error&) {
      return 0;  // rejected with a reason: the expected answer to bad input
    }
  }
  (void)sb::format_report(views.front(), {}, {});
  (void)sb::format_summary(views.front());
  const sb::results_view& other = views.size() > 1 ? views[1] : views.front();
  (void)sb::format_results_comparison(views.front(), other, "A", "B");
  return 0;
}
