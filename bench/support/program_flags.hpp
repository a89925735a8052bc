// The flags of a bench program, described by the program and parsed by
// CLI11 in program_flags.cpp alone: every file that includes CLI11 (2.1
// defines its validators as objects in each) compiled 10-14 s longer at -O3
// on the Zen 1 guest (docs/PERF.md, "CLI11 in one file of the suites" and
// "CI's time, the bench programs' flags").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace switchyard::bench {

class program_flags {
 public:
  /// `footer`: what --help says after the flags.
  explicit program_flags(const std::string& description, const std::string& footer = {});
  ~program_flags();
  program_flags(const program_flags&) = delete;
  program_flags& operator=(const program_flags&) = delete;

  void flag(const std::string& name, bool& value, const std::string& help);
  /// An option that takes a value (T: int, unsigned, std::uint16_t,
  /// std::size_t or std::string); --help shows `value` as its default.
  template <class T>
  void option(const std::string& name, T& value, const std::string& help);
  /// The values the option `name` (added before) may take: one of `allowed`,
  /// or from `least` to `most` (a default outside them means "not given",
  /// and --help does not show it).
  void allow(const std::string& name, const std::vector<std::size_t>& allowed);
  void allow(const std::string& name, std::int64_t least, std::int64_t most);

  /// Parses argv. The exit code the program ends with after --help (0) or a
  /// flag it cannot take (CLI11 has said why), or nullopt: run.
  std::optional<int> parse(int argc, char** argv);
  /// Whether the command line gave `name` (after parse).
  bool given(const std::string& name) const;

 private:
  std::unique_ptr<CLI::App> app_;
};

}  // namespace switchyard::bench
