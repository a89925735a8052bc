// The processes backend's benchmarks (registered by reduce_bench's main).
#pragma once

namespace switchyard::bench {

/// Per-call overhead at 4 KiB, 1 GiB against threads (shared_array and
/// std::vector input, and the process_vm_readv option), and the
/// multiprocessing.Pool peer.
void register_processes();

}  // namespace switchyard::bench
