// Facts about the machine, read from sysfs, /proc, uname, Highway and
// liburing. Nothing here is measured.
#include <sys/utsname.h>

#include <unistd.h>

#include <hwloc.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <iterator>

#include <hwy/targets.h>
#include <switchyard/config.h>
#include <switchyard/switchyard.hpp>
#if SWITCHYARD_HAS_IO_URING
#include <liburing.h>
#endif
#include <switchyard/config.h>

#include "bench/caps/caps.hpp"
#include "core/src/engine_state.hpp"
#include "core/src/gpu_report.hpp"
#include "core/src/usable_cores.hpp"
#include "kernels/common/cpu_tuning.hpp"
#include "kernels/simd/reduce_kernels.hpp"

namespace switchyard::caps {
namespace {

namespace fs = std::filesystem;

std::string read_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

/// The caches of the first core (each level and type once), from hwloc,
/// which reads them from CPUID where a VM has no
/// /sys/devices/system/cpu/cpu0/cache (the report said "caches unknown"
/// there). Sorted by level, then type.
nlohmann::json caches_from_hwloc(bool without_linux_component = false) {
  nlohmann::json caches = nlohmann::json::array();
  hwloc_topology_t topology = nullptr;
  if (hwloc_topology_init(&topology) != 0) return caches;
  // Without the linux component hwloc reads the caches with CPUID (its x86
  // component): the second try, where sysfs had none.
  if (without_linux_component) hwloc_topology_set_components(topology, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "linux");
  hwloc_topology_set_icache_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_ALL);
  if (hwloc_topology_load(topology) == 0) {
    // Walk up from the first processing unit: its caches, one per level and type.
    for (hwloc_obj_t o = hwloc_get_obj_by_type(topology, HWLOC_OBJ_PU, 0); o != nullptr; o = o->parent) {
      if (!hwloc_obj_type_is_cache(o->type) || o->attr == nullptr) continue;
      const auto& c = o->attr->cache;
      const char* type = c.type == HWLOC_OBJ_CACHE_DATA          ? "Data"
                         : c.type == HWLOC_OBJ_CACHE_INSTRUCTION ? "Instruction"
                                                                 : "Unified";
      caches.push_back({{"level", c.depth},
                        {"type", type},
                        {"size_bytes", static_cast<long long>(c.size)},
                        {"line_bytes", c.linesize},
                        {"shared_by_threads", hwloc_bitmap_weight(o->cpuset)}});
    }
  }
  hwloc_topology_destroy(topology);
  if (caches.empty() && !without_linux_component) return caches_from_hwloc(true);
  std::sort(caches.begin(), caches.end(), [](const auto& a, const auto& b) {
    return std::tie(a["level"], a["type"]) < std::tie(b["level"], b["type"]);
  });
  return caches;
}


nlohmann::json cpu_facts() {
  nlohmann::json cpu;
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && !cpu.contains("model")) cpu["model"] = value;
    if (key == "vendor_id" && !cpu.contains("vendor")) cpu["vendor"] = value;
    // A guest's model name hides the generation ("AMD EPYC" on Zen 1 to Zen
    // 5, whose kernels' figures differ by 2x); x86's family and model tell.
    for (const auto& [name, field] : {std::pair{"cpu family", "family"}, {"model", "model_number"}, {"stepping", "stepping"}}) {
      if (key == name && !cpu.contains(field) && !value.empty() &&
          value.find_first_not_of("0123456789") == std::string::npos && value.size() < 9) {
        cpu[field] = std::stoi(value);
      }
    }
  }
  std::set<std::string> packages, cores;
  int threads = 0;
  for (const auto& e : fs::directory_iterator("/sys/devices/system/cpu")) {
    const std::string name = e.path().filename();
    if (name.rfind("cpu", 0) != 0 || name.size() < 4 || !std::isdigit(static_cast<unsigned char>(name[3]))) continue;
    const auto topo = e.path() / "topology";
    if (!fs::exists(topo)) continue;
    ++threads;
    const std::string pkg = read_line(topo / "physical_package_id");
    packages.insert(pkg);
    cores.insert(pkg + ":" + read_line(topo / "core_id"));
  }
  cpu["sockets"] = std::max<std::size_t>(1, packages.size());
  cpu["cores"] = std::max<std::size_t>(1, cores.size());
  cpu["threads"] = std::max(1, threads);
  cpu["online_threads"] = std::max(1u, std::thread::hardware_concurrency());
  // What a parallel call gets here: the affinity, within the cgroup's quota.
  const std::optional<double> quota = detail::cgroup_cpu_limit();
  cpu["cpu_quota"] = quota ? nlohmann::json(*quota) : nlohmann::json(nullptr);
  cpu["usable_threads"] = detail::usable_cores();
  int nodes = 0;
  if (fs::exists("/sys/devices/system/node")) {
    for (const auto& e : fs::directory_iterator("/sys/devices/system/node")) {
      const std::string name = e.path().filename();
      if (name.rfind("node", 0) == 0 && name.size() > 4 && std::isdigit(static_cast<unsigned char>(name[4]))) ++nodes;
    }
  }
  cpu["numa_nodes"] = std::max(1, nodes);
  cpu["caches"] = caches_from_hwloc();
  return cpu;
}

nlohmann::json simd_facts() {
  nlohmann::json supported = nlohmann::json::array(), compiled = nlohmann::json::array();
  for (const auto t : hwy::SupportedAndGeneratedTargets()) supported.push_back(hwy::TargetName(t));
  for (std::int64_t bit = 1; bit != 0 && bit <= HWY_TARGETS; bit <<= 1) {
    if (HWY_TARGETS & bit) compiled.push_back(hwy::TargetName(bit));
  }
  return {{"compiled_targets", compiled},
          {"supported_targets", supported},
          {"active_target", std::string(kernels::simd::target_name())},
          // What the kernels tune by this kind of CPU (kernels/common/cpu_tuning.hpp).
          {"kernel_tuning", kernels::to_string(kernels::cpu_tuning_in_use())}};
}

nlohmann::json kernel_facts() {
  utsname u{};
  uname(&u);
  return {{"system", u.sysname}, {"release", u.release}, {"version", u.version}, {"machine", u.machine}};
}

#if SWITCHYARD_HAS_IO_URING
constexpr const char* opcode_names[] = {
    "NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE",
    "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL",
    "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
    "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
    "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
    "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC",
    "SENDMSG_ZC"};
static_assert(std::size(opcode_names) == IORING_OP_LAST, "one name per opcode liburing knows");

constexpr std::pair<unsigned, const char*> feature_names[] = {
    {IORING_FEAT_SINGLE_MMAP, "SINGLE_MMAP"}, {IORING_FEAT_NODROP, "NODROP"},
    {IORING_FEAT_SUBMIT_STABLE, "SUBMIT_STABLE"}, {IORING_FEAT_RW_CUR_POS, "RW_CUR_POS"},
    {IORING_FEAT_CUR_PERSONALITY, "CUR_PERSONALITY"}, {IORING_FEAT_FAST_POLL, "FAST_POLL"},
    {IORING_FEAT_POLL_32BITS, "POLL_32BITS"}, {IORING_FEAT_SQPOLL_NONFIXED, "SQPOLL_NONFIXED"},
    {IORING_FEAT_EXT_ARG, "EXT_ARG"}, {IORING_FEAT_NATIVE_WORKERS, "NATIVE_WORKERS"},
    {IORING_FEAT_RSRC_TAGS, "RSRC_TAGS"}, {IORING_FEAT_CQE_SKIP, "CQE_SKIP"},
    {IORING_FEAT_LINKED_FILE, "LINKED_FILE"}};

std::string uring_reason(int err) {
  switch (err) {
    case ENOSYS: return "the kernel has no io_uring (ENOSYS): older than 5.1, or built without it";
    case EPERM: return "io_uring is forbidden here (EPERM): kernel.io_uring_disabled or a seccomp filter";
    case ENOMEM: return "io_uring could not lock its rings (ENOMEM): raise RLIMIT_MEMLOCK";
    default: return std::string("io_uring_queue_init failed: ") + std::strerror(err);
  }
}

nlohmann::json io_uring_facts() {
  nlohmann::json f{{"available", false}, {"reason", ""}, {"features", nlohmann::json::array()},
                   {"opcodes", nlohmann::json::array()}};
  io_uring ring{};
  const int rc = io_uring_queue_init(8, &ring, 0);
  if (rc < 0) {
    f["reason"] = uring_reason(-rc);
    return f;
  }
  f["available"] = true;
  for (const auto& [bit, name] : feature_names) {
    if (ring.features & bit) f["features"].push_back(name);
  }
  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
    for (int op = 0; op < IORING_OP_LAST; ++op) {
      if (io_uring_opcode_supported(probe, op)) f["opcodes"].push_back(opcode_names[op]);
    }
    io_uring_free_probe(probe);
  }
  io_uring_queue_exit(&ring);
  const std::string disabled = read_line("/proc/sys/kernel/io_uring_disabled");
  if (!disabled.empty()) f["io_uring_disabled_sysctl"] = std::atoi(disabled.c_str());
  return f;
}
#else
nlohmann::json io_uring_facts() {
  return {{"available", false},
          {"reason", "this build of switchyard has no io_uring loop (liburing was not found)"},
          {"features", nlohmann::json::array()},
          {"opcodes", nlohmann::json::array()}};
}
#endif

/// Through the engine's cuda backend, which every build has: where the
/// module or a GPU is missing, its reason says which and what to do.
nlohmann::json cuda_facts() {
  nlohmann::json out{{"available", false}, {"reason", ""}, {"devices", nlohmann::json::array()}};
  if (const backend_status s = availability(backend::cuda); !s.available) {
    out["reason"] = s.reason;
    return out;
  }
  detail::gpu_report* report = default_engine().state().backend_for(backend::cuda).report_on_gpu();
  detail::gpu_facts f;
  if (report == nullptr) {
    out["reason"] = "the cuda backend gave no report on its devices";
    return out;
  }
  if (const detail::status st = report->describe(f); !st.ok()) {
    out["reason"] = "the cuda backend could not describe its devices: " + st.failed->message;
    return out;
  }
  auto version = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
  out["available"] = true;
  out["driver_version"] = version(f.driver_version);
  out["runtime_version"] = version(f.runtime_version);
  for (const detail::gpu_device& d : f.devices) {
    out["devices"].push_back({{"index", d.index},
                              {"name", d.name},
                              {"compute_capability", std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor)},
                              {"multiprocessors", d.multiprocessors},
                              {"memory_bytes", d.memory_bytes},
                              {"sm_clock_mhz", d.sm_clock_mhz},
                              {"memory_clock_mhz", d.memory_clock_mhz},
                              {"memory_bus_bits", d.memory_bus_bits},
                              {"pageable_memory_access", d.pageable_memory_access}});
  }
  return out;
}

}  // namespace

nlohmann::json probe_facts() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  // Other work on the machine skews every measurement; the report says how much there was.
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return {{"hostname", host},         {"load_average_1min", load}, {"cpu", cpu_facts()},
          {"simd", simd_facts()},     {"kernel", kernel_facts()},  {"io_uring", io_uring_facts()},
          {"cuda", cuda_facts()}};
}

}  // namespace switchyard::caps
