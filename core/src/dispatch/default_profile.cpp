// The built-in profile (profile.hpp): a full calibration of a build machine,
// kept as data in default_profile.json and compiled in.
#include <sstream>

#include "default_profile_json.hpp"
#include "json_tree.hpp"
#include "profile_store.hpp"

namespace switchyard::detail::dispatch {

profile default_profile(const fingerprint& here) {
  static const profile built_in = [] {
    std::istringstream text(default_profile_json);
    const json_tree read(text);
    profile p = profile_from_json(read.root(), {}, false);
    for (auto* rates : {&p.serial, &p.simd}) {
      for (kernel_rate& r : *rates) r.measured = false;
    }
    return p;
  }();
  profile p = built_in;
  p.machine = here;
  p.defaults = true;
  return p;
}

}  // namespace switchyard::detail::dispatch
