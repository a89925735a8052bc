#include "core/src/fork_generation.hpp"

#include <pthread.h>

namespace switchyard::detail {

std::atomic<unsigned> forks_in_this_line{0};

namespace {

void in_child() noexcept { forks_in_this_line.fetch_add(1, std::memory_order_relaxed); }

// At load, before anything that notes a generation can have started.
[[maybe_unused]] const bool watching_forks = pthread_atfork(nullptr, nullptr, &in_child) == 0;

}  // namespace
}  // namespace switchyard::detail
