#include "reading_files.hpp"

#include <dirent.h>

#include <cstring>
#include <memory>

namespace switchyard::detail {

std::vector<std::string> directory_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  const std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return names;
  while (const dirent* e = readdir(d.get())) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  return names;
}

}  // namespace switchyard::detail
