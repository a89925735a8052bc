// Which process of a line of fork()s this is. fork() copies only the thread
// that calls it, so an object that keeps threads (oneTBB's workers, an
// io::runtime's) or shares kernel state with its copies (an io_uring ring)
// notes the generation when it starts: a different one later means it is in
// a child, whose copy has none of the threads and shares the rest.
#pragma once

#include <atomic>

namespace switchyard::detail {

/// Raised by one in each child fork() makes (a pthread_atfork child handler
/// registered as the library is loaded): 0 in the process that loaded it.
extern std::atomic<unsigned> forks_in_this_line;

/// One relaxed load: a call's path reads it (a threads call, a spawn).
inline unsigned fork_generation() noexcept { return forks_in_this_line.load(std::memory_order_relaxed); }

}  // namespace switchyard::detail
