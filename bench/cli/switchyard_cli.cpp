// The `switchyard` command: `caps` reports what this machine has and
// measures; `compare` puts reports side by side. Later issues add `bench`,
// `calibrate` and `explain` as further subcommands.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <switchyard/log.hpp>

#include "bench/caps/caps.hpp"

namespace caps = switchyard::caps;

int main(int argc, char** argv) {
  CLI::App app{"switchyard: which backend suits this machine, by measurement"};
  app.require_subcommand(1);

  auto* caps_cmd = app.add_subcommand("caps", "what this machine has and what it measures");
  std::string json_path;
  bool quick = false;
  // A value that starts with '-' is an option the user forgot a value for
  // (`caps --json --quick`), not a file to create.
  const auto not_an_option = [](const std::string& v) -> std::string {
    return v.size() > 1 && v[0] == '-' ? "expects a file name (or - for stdout), not the option " + v : "";
  };
  caps_cmd->add_option("--json", json_path, "also write the report as JSON to this file ('-': stdout, no table)")
      ->check(not_an_option);
  caps_cmd->add_flag("--quick", quick, "measure less (about 2 s instead of about 10 s)");

  auto* compare_cmd = app.add_subcommand("compare", "two or more caps reports side by side, with ratios");
  std::vector<std::string> files;
  compare_cmd->add_option("reports", files, "caps reports (JSON) to compare; the first is the baseline")
      ->required()
      ->expected(2, -1)
      ->check(CLI::ExistingFile);

  CLI11_PARSE(app, argc, argv);

  // The library writes nothing itself; the command prints its warnings (and
  // the decision lines SWITCHYARD_LOG=decisions asks for).
  switchyard::set_log_handler([](switchyard::log_level level, std::string_view message) {
    std::fprintf(stderr, "switchyard: %s%.*s\n", level == switchyard::log_level::warning ? "warning: " : "",
                 static_cast<int>(message.size()), message.data());
  });

  try {
    if (*caps_cmd) {
      const auto report = caps::build_report(quick);
      if (json_path == "-") {
        std::cout << report.dump(2) << "\n";
        return 0;
      }
      std::cout << caps::format_report(report);
      if (!json_path.empty()) {
        std::ofstream out(json_path);
        out << report.dump(2) << "\n";
        if (!out) throw std::runtime_error("cannot write " + json_path);
      }
    } else if (*compare_cmd) {
      std::vector<nlohmann::json> reports;
      for (const auto& f : files) {
        std::ifstream in(f);
        try {
          reports.push_back(nlohmann::json::parse(in));
        } catch (const nlohmann::json::parse_error& e) {
          throw std::runtime_error(f + " is not JSON: " + e.what());
        }
      }
      std::vector<std::string> labels;
      for (std::size_t i = 0; i < files.size(); ++i) labels.push_back(std::string(1, static_cast<char>('A' + i)));
      std::cout << caps::format_comparison(reports, labels);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchyard: %s\n", e.what());
    return 1;
  }
  return 0;
}
