// The processes suite's benchmarks (registered by processes_bench's main).
#pragma once

namespace switchyard::bench {

/// Per-call overhead at 4 KiB and at 1 MiB (beside threads), a DRAM-sized sum against threads
/// (shared_array and std::vector input, and the process_vm_readv option; beside
/// a busy core; right after a staged call), and the multiprocessing.Pool peer. Returns suite_skipped (having said why)
/// where the backend is not available.
int register_processes(bool quick);

}  // namespace switchyard::bench
