// The fingerprint (fingerprint.hpp): what a profile is only valid for.
#include "fingerprint.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <switchyard/config.h>

#include "core/src/engine_state.hpp"
#include "core/src/reading_files.hpp"
#include "kernels/common/sanitizers.hpp"
#include "kernels/simd/reduce_kernels.hpp"
#include "source_digest.hpp"

namespace switchyard::detail::dispatch {
namespace {

/// "AMD EPYC (family 25 model 1 stepping 1)": the model name alone does not
/// tell a VM's CPU generation.
std::string cpu_model() {
  std::ifstream in = input_file("/proc/cpuinfo");
  std::string line, name, family, model, stepping;
  const auto value = [&](const char* key, std::string& out) {
    if (out.empty() && line.rfind(key, 0) == 0) {
      if (const auto colon = line.find(':'); colon != std::string::npos && colon + 2 <= line.size()) {
        out = line.substr(colon + 2);
      }
    }
  };
  while (std::getline(in, line) && line.find_first_not_of(" \t") != std::string::npos) {
    value("model name", name);
    value("cpu family", family);
    value("model\t", model);
    value("stepping", stepping);
  }
  if (name.empty()) name = "unknown CPU";
  return name + " (family " + family + " model " + model + " stepping " + stepping + ")";
}

std::size_t cache(int name) {
  const long v = sysconf(name);
  return v > 0 ? static_cast<std::size_t>(v) : 0;
}

/// The GPU's model and driver from NVIDIA's driver files, without a CUDA call.
std::string gpu_of(const engine_state& e) {
  const backend_status& s = e.status(backend::cuda);
  if (!s.available) return "none";
  std::string gpu = "cuda";
  const std::filesystem::path gpus = "/proc/driver/nvidia/gpus";
  for (const std::string& bus_id : directory_names(gpus)) {
    std::ifstream in = input_file(gpus / bus_id / "information");
    std::string line;
    if (std::getline(in, line)) gpu += "; " + line;
  }
  std::ifstream version = input_file("/proc/driver/nvidia/version");
  std::string line;
  if (std::getline(version, line)) gpu += "; " + line;
  return gpu;
}

/// The version alone does not name a build: a checkout between releases, or
/// a change to a kernel, keeps it, and a profile of other code would steer
/// this one. The digest of the sources and settings does. Built as a
/// std::string: a std::ostringstream would catch out of memory and give a
/// shorter name.
std::string build_of() {
  std::string b = "switchyard " + std::to_string(SWITCHYARD_VERSION_MAJOR) + '.' +
                  std::to_string(SWITCHYARD_VERSION_MINOR) + '.' + std::to_string(SWITCHYARD_VERSION_PATCH) +
                  " (sources " + SWITCHYARD_SOURCE_DIGEST + "), " + __VERSION__;
#ifdef NDEBUG
  b += ", optimized";
#else
  b += ", debug";
#endif
#if SWITCHYARD_ADDRESS_SANITIZED
  b += ", asan";
#endif
#if SWITCHYARD_THREAD_SANITIZED
  b += ", tsan";
#endif
  return b;
}

}  // namespace

std::string fingerprint::hash() const {
  // FNV-1a: stable across runs and builds, unlike std::hash.
  std::uint64_t h = 1469598103934665603ull;
  const auto mix = [&](const std::string& s) {
    for (const unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  mix(cpu);
  mix(simd_target);
  mix(std::to_string(cores));
  mix(std::to_string(l1) + "/" + std::to_string(l2) + "/" + std::to_string(l3));
  mix(gpu);
  mix(build);
  char hex[16];
  const auto end = std::to_chars(hex, hex + sizeof hex, h, 16).ptr;
  return std::string(hex, end);
}

fingerprint fingerprint_here(const engine_state& e) {
  fingerprint f;
  f.cpu = cpu_model();
  f.simd_target = std::string(kernels::simd::target_name());
  f.cores = e.max_threads();
  f.l1 = cache(_SC_LEVEL1_DCACHE_SIZE);
  f.l2 = cache(_SC_LEVEL2_CACHE_SIZE);
  f.l3 = cache(_SC_LEVEL3_CACHE_SIZE);
  f.gpu = gpu_of(e);
  f.build = build_of();
  return f;
}

}  // namespace switchyard::detail::dispatch
