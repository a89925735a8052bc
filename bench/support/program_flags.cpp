#include "program_flags.hpp"

#include <charconv>
#include <system_error>
#include <type_traits>

#include <CLI/CLI.hpp>

#include "count_check.hpp"

namespace switchyard::bench {

program_flags::program_flags(const std::string& description, const std::string& footer)
    : app_(std::make_unique<CLI::App>(description)) {
  if (!footer.empty()) app_->footer(footer);
}

program_flags::~program_flags() = default;

void program_flags::flag(const std::string& name, bool& value, const std::string& help) {
  app_->add_flag(name, value, help);
}

template <class T>
void program_flags::option(const std::string& name, T& value, const std::string& help) {
  CLI::Option* added = app_->add_option(name, value, help)->capture_default_str();
  if constexpr (std::is_unsigned_v<T>) added->check(count_check());
}
template void program_flags::option(const std::string&, int&, const std::string&);
template void program_flags::option(const std::string&, unsigned&, const std::string&);
template void program_flags::option(const std::string&, std::uint16_t&, const std::string&);
template void program_flags::option(const std::string&, std::size_t&, const std::string&);
template void program_flags::option(const std::string&, std::string&, const std::string&);

void program_flags::allow(const std::string& name, const std::vector<std::size_t>& allowed) {
  app_->get_option(name)->check(CLI::IsMember(allowed));
}

void program_flags::allow(const std::string& name, std::int64_t least, std::int64_t most) {
  CLI::Option* o = app_->get_option(name);
  o->check(CLI::Range(least, most));
  // A default outside the range is the option's "not given", not a value
  // to type: --help does not show it.
  const std::string shown = o->get_default_str();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(shown.data(), shown.data() + shown.size(), value);
  if (ec == std::errc{} && end == shown.data() + shown.size() && (value < least || value > most)) o->default_str("");
}

std::optional<int> program_flags::parse(int argc, char** argv) {
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app_->exit(e);
  }
  return std::nullopt;
}

bool program_flags::given(const std::string& name) const { return app_->get_option(name)->count() != 0; }

}  // namespace switchyard::bench
