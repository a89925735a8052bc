// The calibration profile reader: a file in the cache that was truncated,
// hand-edited or written by a hostile user is either rejected with a reason
// (any std::exception: load_profile turns it into a warning) or is a profile
// the dispatcher can use: its decision table builds and answers every key,
// location and size with a backend, and it survives a round trip unchanged.
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/src/dispatch/decision_table.hpp"
#include "core/src/dispatch/profile_store.hpp"

namespace d = switchyard::detail::dispatch;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return -1;
  std::optional<d::profile> p;
  try {
    p = d::profile_from_json(doc, {}, false);
  } catch (const std::exception&) {
    return 0;  // rejected with a reason
  }
  nlohmann::json written, again;
  d::to_json(*p, written);
  d::to_json(d::profile_from_json(written, {}, false), again);
  if (again != written) __builtin_trap();
  using switchyard::backend;
  const backend candidates[] = {backend::serial, backend::simd, backend::threads, backend::processes, backend::cuda};
  for (unsigned workers : {1u, p->workers}) {
    const d::decision_table table(*p, candidates, workers);
    for (std::size_t k = 0; k < d::key_count; ++k) {
      if (!d::is_canonical(k)) continue;
      for (std::size_t where = 0; where < d::location_count; ++where) {
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{1} << 20,
                              std::size_t{1} << 34, std::numeric_limits<std::size_t>::max()}) {
          (void)table.pick(d::key_at(k), static_cast<switchyard::detail::memory>(where), n);
        }
      }
    }
  }
  return 0;
}
