// Reading files and directories without losing out of memory. What the
// standard library offers for both can hide it: an iostream catches what a
// getline's string throws when it cannot grow and only sets badbit, so a
// line comes back short (a CPU's name, a profile's key) and nothing says
// so; libstdc++ 12's directory_iterator makes each entry's path inside a
// noexcept function, so out of memory there ends the program.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace switchyard::detail {

/// `path` opened for reading, its reads letting std::bad_alloc through. A
/// file that cannot be opened or read still just fails, as on a plain
/// stream.
inline std::ifstream input_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  in.exceptions(std::ios::badbit);
  return in;
}

/// The names in directory `dir` but "." and "..", in the order the system
/// lists them; none where it cannot be read. Throws only std::bad_alloc.
std::vector<std::string> directory_names(const std::filesystem::path& dir);

}  // namespace switchyard::detail
