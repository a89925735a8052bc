// shared_region: memfd-backed memory, and the registry that maps addresses
// back to regions. memfd rather than shm_open: it has no name in /dev/shm to
// leak when a process dies, and it is freed with its last descriptor/mapping.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <switchyard/error.hpp>
#include <switchyard/shared_array.hpp>

#include "core/src/fork_safe_mutex.hpp"
#include "shared_regions.hpp"

namespace switchyard::detail {
namespace {

struct entry {
  std::uint64_t id;
  int fd;
  std::size_t bytes;
};

// Both locks are fork-safe: a holder may wait at a fork for a lock the
// forking thread took in its prepare handlers (malloc's, for a map's node;
// a pool's, for a listener), and a child that found either held waited for
// good. Such a holder has not changed what the lock guards yet.
struct region_registry {
  fork_safe_mutex m;
  std::map<std::uintptr_t, entry> by_address;  // keyed by the region's first byte
  std::uint64_t next_id = 1;
  // Its own lock, held while listeners run: a listener may take its pool's
  // lock, and a pool never asks for this one while holding its own.
  fork_safe_mutex listeners_m;
  std::vector<region_listener*> listeners;
};

region_registry& regions() {
  static region_registry* r = new region_registry;  // leaked: regions may outlive static destructors
  return *r;
}

void tell_listeners(std::uint64_t id) noexcept {
  region_registry& r = regions();
  std::lock_guard lock(r.listeners_m);
  for (region_listener* l : r.listeners) l->forget(id);
}

}  // namespace

void add_region_listener(region_listener* l) {
  region_registry& r = regions();
  std::lock_guard lock(r.listeners_m);
  r.listeners.push_back(l);
}

void remove_region_listener(region_listener* l) {
  region_registry& r = regions();
  std::lock_guard lock(r.listeners_m);
  std::erase(r.listeners, l);
}

std::optional<located_region> locate_shared(const void* p, std::size_t bytes) {
  if (p == nullptr) return std::nullopt;
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  region_registry& r = regions();
  std::lock_guard lock(r.m);
  auto it = r.by_address.upper_bound(a);
  if (it == r.by_address.begin()) return std::nullopt;
  --it;
  const std::uintptr_t base = it->first;
  const entry& e = it->second;
  if (a - base > e.bytes || bytes > e.bytes - (a - base)) return std::nullopt;
  return located_region{e.id, e.fd, e.bytes, a - base};
}

shared_region::shared_region(std::size_t bytes, const char* name) {
  if (bytes == 0) return;
  if (bytes > (std::size_t{1} << 47)) {
    throw error(errc::invalid_argument,
                "shared_array of " + std::to_string(bytes) + " bytes is larger than this machine can address");
  }
  const int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) {
    throw error(errc::resource_exhausted, std::string("shared_array: memfd_create failed: ") + std::strerror(errno));
  }
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const int e = errno;
    close(fd);
    throw error(errc::resource_exhausted, "shared_array: cannot size a memory file to " + std::to_string(bytes) +
                                              " bytes: " + std::strerror(e));
  }
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    close(fd);
    throw error(errc::resource_exhausted,
                "shared_array: cannot map " + std::to_string(bytes) + " bytes: " + std::strerror(e));
  }
  auto& r = regions();
  std::lock_guard lock(r.m);
  id_ = r.next_id++;
  r.by_address[reinterpret_cast<std::uintptr_t>(p)] = {id_, fd, bytes};
  data_ = p;
  bytes_ = bytes;
}

shared_region::shared_region(shared_region&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      id_(std::exchange(other.id_, 0)) {}

shared_region& shared_region::operator=(shared_region&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

shared_region::~shared_region() { release(); }

void shared_region::release() noexcept {
  if (data_ == nullptr) return;
  int fd = -1;
  {
    auto& r = regions();
    std::lock_guard lock(r.m);
    auto it = r.by_address.find(reinterpret_cast<std::uintptr_t>(data_));
    if (it != r.by_address.end()) {
      fd = it->second.fd;
      r.by_address.erase(it);
    }
  }
  // Workers that mapped the region unmap it, so its memory is freed now.
  tell_listeners(id_);
  munmap(data_, bytes_);
  if (fd >= 0) close(fd);
  data_ = nullptr;
  bytes_ = 0;
  id_ = 0;
}

void throw_shared_array_too_large(std::size_t n, std::size_t element_bytes) {
  throw error(errc::invalid_argument, "shared_array of " + std::to_string(n) + " elements of " +
                                          std::to_string(element_bytes) + " bytes does not fit in size_t");
}

}  // namespace switchyard::detail
