// The plots of a run, drawn by plots.py with Debian's matplotlib.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace switchyard::bench {

struct plot_outcome {
  std::vector<std::string> files;     ///< drawn, relative to the output folder
  std::vector<std::string> warnings;  ///< why some or all were not
};

/// Runs /usr/bin/python3 plots.py on results.json, writing PNGs into out_dir.
plot_outcome draw_plots(const std::filesystem::path& results, const std::filesystem::path& out_dir);

}  // namespace switchyard::bench
