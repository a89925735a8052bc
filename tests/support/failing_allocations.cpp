#include "support/failing_allocations.hpp"

#include <cstdlib>
#include <new>

namespace switchyard::testing {

thread_local std::size_t fail_allocations_from = 0;
thread_local long allocations_left = -1;
std::atomic<std::thread::id> fail_allocations_but_on{};
std::atomic<long> fail_allocation_after{-1};

}  // namespace switchyard::testing

// libstdc++'s other forms of operator new forward to this one. Its delete
// frees what it mallocs, which GCC, seeing delete's free beside a new,
// takes for a mismatch.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  using namespace switchyard::testing;
  if (fail_allocations_from != 0 && n >= fail_allocations_from) throw std::bad_alloc();
  if (allocations_left == 0) throw std::bad_alloc();
  if (allocations_left > 0) --allocations_left;
  if (fail_allocation_after.load(std::memory_order_relaxed) >= 0 && fail_allocation_after.fetch_sub(1) == 0) {
    throw std::bad_alloc();
  }
  if (const std::thread::id spared = fail_allocations_but_on.load(std::memory_order_relaxed);
      spared != std::thread::id{} && spared != std::this_thread::get_id()) {
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// The nothrow form fails where the throwing one would; replaced too, since a
// sanitizer's own would hand delete memory it did not malloc.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return ::operator new(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
