#include "harness/plots.hpp"

#include <unistd.h>

#include <sstream>

#include "harness/child.hpp"

namespace fs = std::filesystem;

namespace switchyard::bench {

plot_outcome draw_plots(const fs::path& results, const fs::path& out_dir) {
  plot_outcome r;
  const fs::path python = "/usr/bin/python3";
  // Installed beside the command (share/switchyard), or in the source tree it was built from.
  const fs::path installed = fs::read_symlink("/proc/self/exe").parent_path() / "../share/switchyard/plots.py";
  const fs::path script = fs::exists(installed) ? installed : fs::path(SWITCHYARD_PLOTS_SCRIPT);
  if (::access(python.c_str(), X_OK) != 0) {
    r.warnings.push_back("no /usr/bin/python3 (Debian: apt-get install python3-matplotlib)");
    return r;
  }
  if (!fs::exists(script)) {
    r.warnings.push_back("plots.py is neither at " + installed.string() + " nor at " SWITCHYARD_PLOTS_SCRIPT);
    return r;
  }
  const child_result c = run_child({python.string(), script.string(), results.string(), out_dir.string()}, {}, {});
  std::istringstream out(c.out), err(c.err);
  for (std::string line; std::getline(out, line);) {
    if (!line.empty()) r.files.push_back(line);
  }
  for (std::string line; std::getline(err, line);) {
    if (line.rfind("warning: ", 0) == 0) r.warnings.push_back(line.substr(9));
  }
  if (c.exit_code != 0) {
    r.warnings.push_back("plots.py exited with status " + std::to_string(c.exit_code) + ": " +
                         (c.err.size() > 600 ? c.err.substr(c.err.size() - 600) : c.err));
  }
  return r;
}

}  // namespace switchyard::bench
