// The kernels and dispatch of every op over double.
#include <cstdint>

#include "backends/cuda/reduce_typed.cuh"

namespace switchyard::backends::cuda {
template void reduce_typed<double>(const kernels::reduction&, const switchyard::detail::placement&, void*,
                                   const launch_config&);
}  // namespace switchyard::backends::cuda
