// The cores a parallel call can keep busy (usable_cores.hpp).
#include "core/src/usable_cores.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace switchyard::detail {
namespace {

namespace fs = std::filesystem;

/// The whole of a small /proc or cgroup file; empty where it cannot be read.
/// Plain read(2), not a stream: the engine reads these as it is made, and
/// where the program has run out of descriptors UBSan's check of a stream's
/// dynamic type (which probes memory through a pipe) reported a false error.
std::string contents(const fs::path& file) {
  std::string text;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fd);
  return text;
}

/// The number that `text` starts with (after blanks), if it does.
std::optional<long long> leading_number(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) return std::nullopt;
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data() + start, text.data() + text.size(), value);
  if (error != std::errc{} || end == text.data() + start) return std::nullopt;
  return value;
}

std::vector<std::string> split(std::string_view text, char by) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(by, start);
    parts.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// mountinfo writes a space, tab, newline or backslash in a path as \ and
/// three octal digits.
std::string unescape(std::string_view s) {
  const auto octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) && octal(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// Normal form without a trailing separator, so that paths compare equal.
fs::path clean(const fs::path& p) {
  fs::path out = p.lexically_normal();
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
  return out;
}

/// A cgroup hierarchy the process is in: version 2, or a version 1 one that
/// has the cpu controller.
struct membership {
  bool v2 = false;
  std::string path;  // as /proc/self/cgroup gives it
};

std::vector<membership> memberships(const fs::path& self_cgroup) {
  std::vector<membership> out;
  // "hierarchy-ID:controller-list:cgroup-path"; version 2 is "0::path".
  for (const std::string& line : split(contents(self_cgroup), '\n')) {
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      out.push_back({true, path});
    } else if (contains(split(controllers, ','), "cpu")) {
      out.push_back({false, path});
    }
  }
  return out;
}

/// A cgroup file system mounted where this process can see it.
struct cgroup_mount {
  bool v2 = false;
  std::string root;   // the cgroup the mount shows at its top
  std::string point;  // where it is mounted
};

std::vector<cgroup_mount> cpu_mounts(const fs::path& mountinfo) {
  std::vector<cgroup_mount> out;
  // "id parent major:minor root mount-point options [optional...] - type source super-options"
  for (const std::string& line : split(contents(mountinfo), '\n')) {
    std::vector<std::string> f = split(line, ' ');
    std::erase(f, std::string());
    const auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    const std::string& type = dash[1];
    const bool v2 = type == "cgroup2";
    if (!v2 && !(type == "cgroup" && contains(split(dash[3], ','), "cpu"))) continue;
    out.push_back({v2, unescape(f[3]), unescape(f[4])});
  }
  return out;
}

/// The limit one cgroup directory sets, in CPUs.
std::optional<double> limit_in(const fs::path& dir, bool v2) {
  std::optional<long long> quota, period;
  if (v2) {
    // "max 100000", or "150000 100000"
    const std::string max = contents(dir / "cpu.max");
    const std::size_t gap = max.find(' ');
    if (gap == std::string::npos) return std::nullopt;
    quota = leading_number(std::string_view(max).substr(0, gap));
    period = leading_number(std::string_view(max).substr(gap));
  } else {
    quota = leading_number(contents(dir / "cpu.cfs_quota_us"));
    period = leading_number(contents(dir / "cpu.cfs_period_us"));
  }
  // "max", a missing file, or v1's -1: no limit here
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

/// The directory of the process's cgroup under a mount: the mount shows the
/// hierarchy from its root down, so the part of the path below that root.
/// A path outside it (a process moved after the mount, or a cgroup
/// namespace's "/..") has only the mount's top to go by.
fs::path directory_of(const membership& m, const fs::path& top, const cgroup_mount& mount) {
  const fs::path below = clean(m.path).lexically_relative(clean(mount.root));
  if (below.empty() || *below.begin() == "..") return top;
  return clean(top / below);
}

}  // namespace

std::optional<double> cgroup_cpu_limit(const cgroup_files& files) noexcept {
  try {
    std::optional<double> tightest;
    const std::vector<cgroup_mount> mounts = cpu_mounts(files.mountinfo);
    for (const membership& m : memberships(files.self_cgroup)) {
      for (const cgroup_mount& mount : mounts) {
        if (mount.v2 != m.v2) continue;
        const fs::path top = clean(files.root / fs::path(mount.point).relative_path());
        // The kernel enforces every ancestor's limit too: walk up to the
        // mount's top, the highest this process can see.
        for (fs::path dir = directory_of(m, top, mount);; dir = dir.parent_path()) {
          if (const std::optional<double> limit = limit_in(dir, m.v2)) {
            tightest = std::min(tightest.value_or(*limit), *limit);
          }
          if (dir == top || dir.parent_path() == dir) break;
        }
      }
    }
    return tightest;
  } catch (...) {
    return std::nullopt;
  }
}

unsigned affinity_cores() noexcept {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    if (const int n = CPU_COUNT(&set); n > 0) return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

unsigned usable_cores() noexcept {
  const unsigned cores = affinity_cores();
  std::optional<double> limit;
  try {
    limit = cgroup_cpu_limit();  // its default argument's paths allocate here
  } catch (...) {
    return cores;  // out of memory: the affinity, which needs none
  }
  if (!limit) return cores;
  // Rounded up: a quota of 1.5 CPUs keeps two threads busy three quarters of
  // each period, more work than one thread does.
  const double rounded = std::max(1.0, std::ceil(*limit));
  return rounded < static_cast<double>(cores) ? static_cast<unsigned>(rounded) : cores;
}

}  // namespace switchyard::detail
