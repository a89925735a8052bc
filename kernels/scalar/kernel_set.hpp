// The scalar reference kernels as a kernel set: what the serial backend runs
// on each chunk.
#pragma once

#include "kernels/common/chunk_kernel.hpp"
#include "kernels/scalar/reduce_scalar.hpp"

namespace switchyard::kernels::scalar {

SWITCHYARD_KERNEL_SET(kernel_set, kernels::scalar);

}  // namespace switchyard::kernels::scalar
