// Which process of a line of fork()s this is. fork() copies only the thread
// that calls it, so an object that keeps threads (oneTBB's workers, an
// io::runtime's) notes the generation when it starts them: a different one
// later means it is in a child, whose copy has none of them.
#pragma once

namespace switchyard::detail {

/// 0 in the process that first asked, one more in each child fork() made
/// since (a pthread_atfork child handler, registered at the first call).
/// One relaxed load.
unsigned fork_generation() noexcept;

}  // namespace switchyard::detail
