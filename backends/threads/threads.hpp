// The threads backend: chunks spread over a oneTBB task_arena (work
// stealing), each chunk through the SIMD kernels. Arenas are created once per
// thread count and reused, so a call pays no thread start-up.
#pragma once

#include <cstddef>
#include <functional>

#include <switchyard/detail/function_ref.hpp>

namespace switchyard::backends::threads {

/// The number of threads a call with this max_threads (0 = all) may use:
/// never more than the machine's cores.
unsigned concurrency(unsigned max_threads) noexcept;

/// Runs body(i) for every i in [0, count) on at most `max_threads` threads
/// (0 = all). The caller's thread takes part. Exceptions from body propagate.
void for_each(std::size_t count, unsigned max_threads,
              detail::function_ref<void(std::size_t)> body);

/// Runs job once, soon, on a worker thread of the arena (fire and forget):
/// how the I/O layer's offload reaches the compute side.
void enqueue(std::function<void()> job);

}  // namespace switchyard::backends::threads
