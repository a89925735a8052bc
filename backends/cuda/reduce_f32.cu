// The kernels and dispatch of every op over float.
#include <cstdint>

#include "backends/cuda/reduce_typed.cuh"

namespace switchyard::backends::cuda {
template void reduce_typed<float>(const kernels::reduction&, const switchyard::detail::placement&, void*,
                                   const launch_config&);
}  // namespace switchyard::backends::cuda
