// Reading and writing profiles (profile_store.hpp).
#include "profile_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <new>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/src/reading_files.hpp"
#include "json_tree.hpp"

namespace switchyard::detail::dispatch {
namespace {

using nlohmann::json;

constexpr const char* location_names[location_count] = {"host", "shared", "pinned", "device"};

// The writers below build in place, each value inserted before it is
// filled, and each object or array made whole before anything goes in it
// (json_tree.hpp says why).

void fingerprint_json(const fingerprint& f, json& j) {
  j = json::object();
  j["cpu"] = f.cpu;
  j["simd_target"] = f.simd_target;
  j["cores"] = f.cores;
  j["l1"] = f.l1;
  j["l2"] = f.l2;
  j["l3"] = f.l3;
  j["gpu"] = f.gpu;
  j["build"] = f.build;
}

template <std::size_t N>
void numbers_json(const std::array<double, N>& numbers, json& j) {
  j = json::array();
  for (const double x : numbers) j.push_back(x);
}

fingerprint fingerprint_from(const json& j) {
  fingerprint f;
  f.cpu = j.at("cpu").get<std::string>();
  f.simd_target = j.at("simd_target").get<std::string>();
  f.cores = j.at("cores").get<unsigned>();
  f.l1 = j.at("l1").get<std::size_t>();
  f.l2 = j.at("l2").get<std::size_t>();
  f.l3 = j.at("l3").get<std::size_t>();
  f.gpu = j.at("gpu").get<std::string>();
  f.build = j.at("build").get<std::string>();
  return f;
}

/// A number the model can divide by or add: finite, and positive for rates.
double checked(const json& j, const char* what, bool rate) {
  const double v = j.get<double>();
  if (!std::isfinite(v) || v < 0 || (rate && v <= 0)) {
    throw std::runtime_error(std::string(what) + " holds " + j.dump() + ", which no measurement gives");
  }
  return v;
}

/// N numbers; `rate`: each positive, else each at least 0.
template <std::size_t N>
std::array<double, N> numbers_from(const json& j, const char* what, bool rate) {
  if (!j.is_array() || j.size() != N) throw std::runtime_error(std::string(what) + " is not " + std::to_string(N) + " numbers");
  std::array<double, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = checked(j[i], what, rate);
  return out;
}

void parallel_json(const parallel_rates& r, json& j) {
  j = json::object();
  j["measured"] = r.measured;
  for (std::size_t m = 0; m < location_count; ++m) {
    json& at = j[location_names[m]];
    at = json::object();
    at["fixed_ns"] = r.fixed_ns[m];
    numbers_json(r.gbs[m], at["gbs"]);
  }
}

void parallel_from(const json& j, parallel_rates& r, const char* what) {
  r.measured = j.at("measured").get<bool>();
  if (!r.measured) return;
  for (std::size_t m = 0; m < location_count; ++m) {
    const json& at = j.at(location_names[m]);
    r.fixed_ns[m] = checked(at.at("fixed_ns"), what, false);
    // 0: not measured at this location (the model never chooses it there).
    r.gbs[m] = numbers_from<level_count>(at.at("gbs"), what, false);
  }
}

void kernels_json(const std::array<kernel_rate, key_count>& rates, json& j) {
  j = json::object();
  for (std::size_t i = 0; i < key_count; ++i) {
    if (!is_canonical(i)) continue;
    json& k = j[key_name(key_at(i))];
    k = json::object();
    k["fixed_ns"] = rates[i].fixed_ns;
    k["gbs"] = rates[i].gbs;
    k["measured"] = rates[i].measured;
  }
}

void kernels_from(const json& j, std::array<kernel_rate, key_count>& rates) {
  for (std::size_t i = 0; i < key_count; ++i) {
    if (!is_canonical(i)) continue;
    const std::string name = key_name(key_at(i));
    const json& k = j.at(name);
    rates[i] = {checked(k.at("fixed_ns"), name.c_str(), false), checked(k.at("gbs"), name.c_str(), true),
                k.at("measured").get<bool>()};
  }
}

namespace fs = std::filesystem;

/// A profile nothing has loaded for this long belongs to a build or machine
/// that is gone: each change to the library's sources keys a new one, and the
/// old ones would pile up.
constexpr auto unused_for = std::chrono::hours(24 * 30);

/// A load refreshes a file's time at most once a day, so a profile in use is
/// never pruned and a program start seldom writes.
constexpr auto refresh_after = std::chrono::hours(24);

void refresh(const fs::path& path) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  const auto written = fs::last_write_time(path, ec);
  if (!ec && now - written > refresh_after) fs::last_write_time(path, now, ec);
}

/// Removes the other profiles (with their lock files) and the temporary
/// files of writers that died, once unused for `unused_for`. Best effort.
void prune_unused(const fs::path& kept) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  const auto unused = [&](const fs::path& p) {
    std::error_code e;
    const auto t = fs::last_write_time(p, e);
    return !e && now - t > unused_for;
  };
  std::vector<fs::path> gone;
  const fs::path cache = kept.parent_path();
  for (const std::string& name : directory_names(cache)) {
    const fs::path path = cache / name;
    if (name.rfind("profile-", 0) != 0 || path == kept) continue;
    const bool profile = name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0;
    const bool temporary = name.find(".json.tmp.") != std::string::npos;
    if ((profile || temporary) && unused(path)) gone.push_back(path);
  }
  for (const auto& p : gone) {
    fs::remove(p, ec);
    if (p.extension() == ".json") fs::remove(p.string() + ".lock", ec);
  }
}

}  // namespace

std::filesystem::path profile_path(const fingerprint& f) {
  std::filesystem::path dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    dir = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = std::filesystem::path(home) / ".cache";
  } else {
    return {};
  }
  return dir / "switchyard" / ("profile-" + f.hash() + ".json");
}

void to_json(const profile& p, json& j) {
  j = json::object();
  j["format_version"] = profile::format_version;
  fingerprint_json(p.machine, j["fingerprint"]);
  j["quick"] = p.quick;
  j["calibration_seconds"] = p.calibration_seconds;
  j["workers"] = p.workers;
  json& others = j["other_programs"];
  others = json::object();
  others["busy_cores"] = p.others.busy_cores;
  others["cpus"] = p.others.cpus;
  numbers_json(p.points.bytes, j["points_bytes"]);
  numbers_json(p.stream_gbs, j["stream_gbs"]);
  kernels_json(p.serial, j["serial"]);
  kernels_json(p.simd, j["simd"]);
  parallel_json(p.threads, j["threads"]);
  parallel_json(p.processes, j["processes"]);
  parallel_json(p.cuda, j["cuda"]);
  j["callable_ns_per_element"] = p.callable_ns_per_element;
  j["callable_threads_fixed_ns"] = p.callable_threads_fixed_ns;
}

profile profile_from_json(const json& j, const fingerprint& here, bool same_machine) {
  const int version = j.at("format_version").get<int>();
  if (version != profile::format_version) {
    throw std::runtime_error("it has format version " + std::to_string(version) + " and this switchyard reads version " +
                             std::to_string(profile::format_version));
  }
  profile p;
  p.machine = fingerprint_from(j.at("fingerprint"));
  if (same_machine && !(p.machine == here)) {
    throw std::runtime_error("it was measured on another machine or build (" + p.machine.cpu + ", " + p.machine.build +
                             ")");
  }
  p.quick = j.at("quick").get<bool>();
  p.calibration_seconds = checked(j.at("calibration_seconds"), "calibration_seconds", false);
  p.workers = j.at("workers").get<unsigned>();
  if (p.workers == 0) throw std::runtime_error("workers is 0");
  // Profiles kept before it was recorded lack it: not known.
  if (const auto o = j.find("other_programs"); o != j.end()) {
    p.others.cpus = o->at("cpus").get<unsigned>();
    p.others.busy_cores = checked(o->at("busy_cores"), "other_programs.busy_cores", false);
    if (p.others.busy_cores > p.others.cpus) {
      throw std::runtime_error("other_programs holds more busy cores than CPUs, which no measurement gives");
    }
  }
  p.points.bytes = numbers_from<level_count>(j.at("points_bytes"), "points_bytes", true);
  p.stream_gbs = numbers_from<level_count>(j.at("stream_gbs"), "stream_gbs", true);
  kernels_from(j.at("serial"), p.serial);
  kernels_from(j.at("simd"), p.simd);
  parallel_from(j.at("threads"), p.threads, "threads");
  parallel_from(j.at("processes"), p.processes, "processes");
  parallel_from(j.at("cuda"), p.cuda, "cuda");
  p.callable_ns_per_element = checked(j.at("callable_ns_per_element"), "callable_ns_per_element", true);
  p.callable_threads_fixed_ns = checked(j.at("callable_threads_fixed_ns"), "callable_threads_fixed_ns", false);
  return p;
}

loaded_profile load_profile(const std::filesystem::path& path, const fingerprint& here) {
  try {
    std::ifstream in = input_file(path);
    if (!in) return {};
    const json_tree read(in);
    loaded_profile found{profile_from_json(read.root(), here), {}};
    refresh(path);
    return found;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    return {std::nullopt, "the profile " + path.string() + " cannot be trusted: " + e.what() +
                              "; running on the built-in defaults until it is measured again (switchyard calibrate)"};
  } catch (...) {
    return {std::nullopt, "the profile " + path.string() + " cannot be read; running on the built-in defaults"};
  }
}

std::string save_profile(const profile& p, const std::filesystem::path& path) {
  try {
    if (path.empty()) return "neither XDG_CACHE_HOME nor HOME is set, so the profile is not kept";
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    // A name of its own per writer, renamed over the profile in one step: a
    // reader sees the old file or the new one, never half of either.
    std::random_device rd;
    const std::filesystem::path tmp =
        path.string() + ".tmp." + std::to_string(getpid()) + "." + std::to_string(rd());
    // Every way out but the rename removes it, out of memory half way
    // through the writing included: else it would stay for 30 days, until
    // a later write's pruning.
    struct removed_unless_renamed {
      const std::filesystem::path& file;
      bool renamed = false;
      ~removed_unless_renamed() {
        std::error_code ignored;
        if (!renamed) std::filesystem::remove(file, ignored);
      }
    } written_to{tmp};
    {
      std::ofstream out(tmp);
      json_tree written;
      to_json(p, written.root());
      out << written.root().dump(1) << "\n";
      out.close();
      if (!out) {
        return "cannot write the profile to " + path.parent_path().string() +
               " (not writable?); the measurement is used but not kept";
      }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) return "cannot put the profile at " + path.string() + ": " + ec.message();
    written_to.renamed = true;
    try {
      prune_unused(path);
    } catch (const std::bad_alloc&) {
      // The profile is kept; what it would prune goes at a later write.
    }
    return {};
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    return std::string("cannot keep the profile: ") + e.what();
  }
}

profile_lock::profile_lock(const std::filesystem::path& profile, double wait_seconds) {
  if (profile.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(profile.parent_path(), ec);
  fd_ = ::open((profile.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return;
  // Polled rather than blocking, so that a holder stopped in a debugger
  // costs a bounded wait.
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) break;
    waited_ = true;
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

profile_lock::~profile_lock() {
  if (fd_ < 0) return;
  // Released before the close: a child forked meanwhile shares the lock
  // through its copy of the descriptor, which a close alone leaves held for
  // as long as the child lives; every later calibration of this machine,
  // the child's own first, waited out its whole wait.
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace switchyard::detail::dispatch
