// The Highway kernels as a kernel set: what the simd and threads backends (and
// the worker processes) run on each chunk.
#pragma once

#include "kernels/common/chunk_kernel.hpp"
#include "kernels/simd/reduce_kernels.hpp"

namespace switchyard::backends::simd {

SWITCHYARD_KERNEL_SET(simd_kernels, kernels::simd);

}  // namespace switchyard::backends::simd
