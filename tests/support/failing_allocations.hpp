// The test program's operator new, which a test can make fail: how a test
// runs the library out of memory where it cannot choose to (inside curl's
// callbacks, on the compute side's threads, at any one allocation of a
// run). Link failing_allocations.cpp into the program.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>

namespace switchyard::testing {

/// Allocations of at least this many bytes on this thread fail (0: none).
extern thread_local std::size_t fail_allocations_from;

/// After this many more allocations on this thread, every one fails (-1:
/// none): memory that runs out for good part way through.
extern thread_local long allocations_left;

/// While set, every allocation on every thread but this one fails.
extern std::atomic<std::thread::id> fail_allocations_but_on;

/// The allocation this many allocations from now (on any thread) fails,
/// once; -1: none. A sweep over it fails each allocation of a run in turn.
extern std::atomic<long> fail_allocation_after;

/// From now, the n-th allocation on any thread fails (n = 0: the next one).
inline void fail_allocation(long n) noexcept { fail_allocation_after.store(n); }

/// Whether the allocation fail_allocation() chose has failed; none fails after.
inline bool allocation_failed() noexcept { return fail_allocation_after.exchange(-1) < 0; }

/// Every other thread's allocations fail while it lives.
class only_this_thread_allocates {
 public:
  only_this_thread_allocates() { fail_allocations_but_on.store(std::this_thread::get_id()); }
  ~only_this_thread_allocates() { fail_allocations_but_on.store(std::thread::id{}); }
  only_this_thread_allocates(const only_this_thread_allocates&) = delete;
  only_this_thread_allocates& operator=(const only_this_thread_allocates&) = delete;
};

}  // namespace switchyard::testing
