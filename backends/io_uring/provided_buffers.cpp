#include "backends/io_uring/provided_buffers.hpp"

#include <sys/mman.h>

namespace switchyard::backends::io_uring {
namespace {

constexpr std::size_t ring_bytes = provided_buffers::count * sizeof(::io_uring_buf);
constexpr std::size_t memory_bytes = std::size_t{provided_buffers::count} * provided_buffers::bytes;
constexpr int mask = static_cast<int>(provided_buffers::count) - 1;
static_assert((provided_buffers::count & (provided_buffers::count - 1)) == 0, "a ring's size is a power of two");

void* map(std::size_t n) {
  void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

std::unique_ptr<provided_buffers> provided_buffers::try_register(::io_uring& ring) {
  // The ring's entries must be page-aligned: mmap's are.
  auto* entries = static_cast<::io_uring_buf_ring*>(map(ring_bytes));
  auto* memory = static_cast<std::byte*>(map(memory_bytes));
  ::io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(entries);
  reg.ring_entries = count;
  reg.bgid = group;
  if (entries == nullptr || memory == nullptr || ::io_uring_register_buf_ring(&ring, &reg, 0) != 0) {
    if (entries) ::munmap(entries, ring_bytes);
    if (memory) ::munmap(memory, memory_bytes);
    return nullptr;
  }
  ::io_uring_buf_ring_init(entries);
  for (unsigned id = 0; id < count; ++id) {
    ::io_uring_buf_ring_add(entries, memory + std::size_t{id} * bytes, bytes, static_cast<unsigned short>(id), mask,
                            static_cast<int>(id));
  }
  ::io_uring_buf_ring_advance(entries, count);
  return std::unique_ptr<provided_buffers>(new provided_buffers(ring, entries, memory));
}

provided_buffers::~provided_buffers() {
  ::io_uring_unregister_buf_ring(ring_, group);
  ::munmap(ring_entries_, ring_bytes);
  ::munmap(memory_, memory_bytes);
}

void provided_buffers::give_back(unsigned id) noexcept {
  ::io_uring_buf_ring_add(ring_entries_, memory_ + std::size_t{id} * bytes, bytes, static_cast<unsigned short>(id),
                          mask, 0);
  ::io_uring_buf_ring_advance(ring_entries_, 1);
}

}  // namespace switchyard::backends::io_uring
