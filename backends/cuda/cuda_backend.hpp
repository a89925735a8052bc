// The cuda backend's interface to the rest of switchyard. It names no CUDA
// type, so the core and everything else build without nvcc; without it,
// backends/cuda/not_built.cpp implements this header and says why.
//
// Layering (after NVIDIA CUB): this facade -> dispatch (dispatch_reduce.cuh:
// grid size, scratch, one or two passes, launches; staging.cu: pinned
// staging for host input) -> thin __global__ kernels (kernels.cuh) -> the
// agent's tile loop (agent_reduce.cuh) -> block collectives (cub::BlockReduce
// over warp shuffles) with the ops' combines (device_ops.cuh).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/src/compute_backend.hpp"
#include "core/src/gpu_report.hpp"
#include "kernels/common/reduction.hpp"

namespace switchyard::backends::cuda {

/// Empty when a CUDA device can run the kernels here, else why not (not
/// built, no driver, driver too old, no device, architecture not built).
std::string unavailable_reason();

/// How a reduction over the device combines its blocks' partials: in the
/// last block to finish (one kernel) or in a second one-block kernel.
enum class finish_pass { last_block, second_kernel };

struct launch_config {
  finish_pass finish = finish_pass::last_block;
};

/// Whether the kernels' 16-byte vector loads can read from p (device_array
/// and staging memory start 256-byte aligned).
inline bool aligned_for_loads(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

/// Host input is streamed in chunks of this many bytes (per input). Each of
/// the three lanes keeps a pinned buffer of it, page-locked on a process's
/// first streamed call at 1.5-3 GB/s, so the size sets that call's cost: on
/// an H200 machine the first 1 GiB sum took 94-102 ms with 32 MiB chunks
/// and 64-67 with 16, where later calls ran at 20.4-25.8 and 20.1-21.9 ms;
/// 8 MiB chunks made later calls 7% slower (docs/PERF.md, "A process's
/// first streamed call").
inline constexpr std::size_t stream_chunk_bytes = std::size_t{16} << 20;

/// How many partials reduce_chunks writes for `r`: one for device input, and
/// for host input the device reads in place; else one per stream chunk.
std::size_t chunk_count(const kernels::reduction& r, const switchyard::detail::placement& p);

/// Whether host input is read by the kernels where it lies instead of
/// streamed through staging: where the device reads pageable memory through
/// the host's page tables (GH200), the input is 16-byte aligned, and the
/// call is not deterministic (whose grid, and so bits, must not depend on
/// the machine: it streams everywhere).
bool reads_host_in_place(const kernels::reduction& r, const switchyard::detail::placement& p);

/// Writes the partial of each chunk of `r` (the type kernels::with_partial
/// names for r.op and r.type, indices counted from the start of the whole
/// input) to out[0, chunk_count(r)); the caller combines them in its fixed
/// tree. Device input (p.where == memory::device) is read in place, in one
/// chunk, and so is host input where reads_host_in_place(). Other host input
/// goes through pinned staging buffers filled by the engine's threads
/// (p.threads), on several streams, so that each chunk's copy overlaps the
/// reduction of the one before; host memory that is already page-locked is
/// copied from directly. Results are the same bits run to run (a grid that
/// depends only on n, fixed trees, no atomics on values); with
/// p.deterministic the grid does not depend on the device either.
/// Throws switchyard::error: backend_unavailable, resource_exhausted (out of
/// GPU or pinned memory), device_failed (any other CUDA failure).
void reduce_chunks(const kernels::reduction& r, const switchyard::detail::placement& p, void* out,
                   const launch_config& config = {});

/// Each device's facts, and the driver's and runtime's versions.
void describe_devices(switchyard::detail::gpu_facts& out);
/// Copy bandwidths (device to device, pinned and pageable host to device)
/// and a launch's round trip on `device`.
void measure_device(int device, bool quick, std::vector<switchyard::detail::gpu_measurement>& out);

/// Device memory for device_array: zero-filled `bytes`, released by release().
void* allocate(std::size_t bytes);
void release(void* device) noexcept;
/// Synchronous copies between host memory and device memory.
void copy_to_device(void* device, const void* host, std::size_t bytes);
void copy_to_host(void* host, const void* device, std::size_t bytes);

}  // namespace switchyard::backends::cuda
