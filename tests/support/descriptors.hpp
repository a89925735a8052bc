// Test support: which file descriptors a test left open.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

namespace switchyard::testing {

/// What each open descriptor of a process ("self" or a pid) is (its
/// /proc/PID/fd link, a socket's or a pipe's inode number left out: a
/// replaced worker's new socket is the same thing), without the one reading
/// the list. Empty when the process is gone.
inline std::multiset<std::string> open_descriptors(const std::string& process = "self") {
  std::multiset<std::string> open;
  const std::string folder = "/proc/" + process + "/fd";
  DIR* d = opendir(folder.c_str());
  if (d == nullptr) return open;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.' || (process == "self" && std::atoi(e->d_name) == dirfd(d))) continue;
    char target[256] = {};
    const std::string link = folder + "/" + e->d_name;
    if (readlink(link.c_str(), target, sizeof target - 1) < 0) continue;  // closed meanwhile
    std::string what = target;
    if (const auto bracket = what.find(":["); bracket != std::string::npos) what.resize(bracket);
    open.insert(what);
  }
  closedir(d);
  return open;
}

/// What is open now and was not at `before`, one per line; empty when nothing.
/// oneTBB's workers hold a file of their own open for a moment while they
/// start: a leak stays, that does not, so this looks again for up to two
/// seconds before answering.
inline std::string leaked_since(const std::multiset<std::string>& before) {
  std::string out;
  for (int attempt = 0; attempt < 200; ++attempt) {
    out.clear();
    std::multiset<std::string> extra = open_descriptors();
    for (const auto& fd : before) {
      if (const auto it = extra.find(fd); it != extra.end()) extra.erase(it);
    }
    for (const auto& fd : extra) out += "\n  " + fd;
    if (out.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return out;
}

}  // namespace switchyard::testing
