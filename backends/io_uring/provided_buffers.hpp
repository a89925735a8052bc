// A provided buffer ring (Linux 5.19): receive buffers the kernel picks from
// when data arrives, rather than one the caller pins for as long as a recv
// waits. A waiting recv holds no memory, and a cancelled one cannot write
// into its caller's buffer; the bytes are copied out on completion.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace switchyard::backends::io_uring {

class provided_buffers {
 public:
  /// 64 buffers of 16 KiB: a recv of up to 16 KiB gets one, whatever its
  /// caller's buffer; 1 MiB a context. Past 64 receives completing at once the
  /// kernel answers -ENOBUFS, and the loop receives into the caller's buffer.
  static constexpr unsigned count = 64;
  static constexpr unsigned bytes = 16 * 1024;
  static constexpr std::uint16_t group = 0;

  /// Registers a ring with `ring`; nullptr where the kernel has no buffer rings.
  static std::unique_ptr<provided_buffers> try_register(::io_uring& ring);
  provided_buffers(const provided_buffers&) = delete;
  provided_buffers& operator=(const provided_buffers&) = delete;
  /// Unregisters: before the ring itself is torn down.
  ~provided_buffers();

  const std::byte* data(unsigned id) const noexcept { return memory_ + std::size_t{id} * bytes; }
  /// Buffer `id`, which a completion handed over, is the kernel's again.
  void give_back(unsigned id) noexcept;

 private:
  provided_buffers(::io_uring& ring, ::io_uring_buf_ring* br, std::byte* memory)
      : ring_(&ring), ring_entries_(br), memory_(memory) {}
  ::io_uring* ring_;
  ::io_uring_buf_ring* ring_entries_;
  std::byte* memory_;
};

}  // namespace switchyard::backends::io_uring
