// The kernels and dispatch of every op over std::int64_t.
#include <cstdint>

#include "backends/cuda/reduce_typed.cuh"

namespace switchyard::backends::cuda {
template void reduce_typed<std::int64_t>(const kernels::reduction&, const switchyard::detail::placement&, void*,
                                   const launch_config&);
}  // namespace switchyard::backends::cuda
