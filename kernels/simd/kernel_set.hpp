// The Highway kernels as a kernel set: what the simd and threads backends and
// the worker processes run on each chunk.
#pragma once

#include "kernels/common/chunk_kernel.hpp"
#include "kernels/simd/reduce_kernels.hpp"

namespace switchyard::kernels::simd {

SWITCHYARD_KERNEL_SET(kernel_set, kernels::simd);

}  // namespace switchyard::kernels::simd
