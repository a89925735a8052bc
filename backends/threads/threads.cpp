// oneTBB arenas keyed by thread count, and the parallel loop over chunks.
#include "backends/threads/threads.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

namespace switchyard::backends::threads {
namespace {

tbb::task_arena& arena_for(unsigned threads) {
  static std::mutex mutex;
  static std::map<unsigned, std::unique_ptr<tbb::task_arena>> arenas;
  const std::lock_guard lock(mutex);
  auto& arena = arenas[threads];
  if (!arena) arena = std::make_unique<tbb::task_arena>(static_cast<int>(threads));
  return *arena;
}

}  // namespace

unsigned concurrency(unsigned max_threads) noexcept {
  // Never more than the cores oneTBB sees: more would only oversubscribe, and
  // oneTBB warns on stderr when an arena asks for more workers than it has.
  const auto all = static_cast<unsigned>(tbb::info::default_concurrency());
  return max_threads == 0 ? all : std::min(max_threads, all);
}

void for_each(std::size_t count, unsigned max_threads, detail::function_ref<void(std::size_t)> body) {
  const unsigned threads = concurrency(max_threads);
  if (threads <= 1 || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) body(i);
    return;
  }
  // The hand-offs between the caller and the workers, as C++ atomics: oneTBB
  // synchronizes them inside libtbb.so, where ThreadSanitizer cannot see it
  // unless oneTBB itself was built with it (Debian's is not). One acquire and
  // one release per range of chunks cost nothing next to a chunk's work.
  std::atomic<bool> published{false};
  std::atomic<std::size_t> finished{0};
  published.store(true, std::memory_order_release);
  arena_for(threads).execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 1),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        (void)published.load(std::memory_order_acquire);
                        for (std::size_t i = r.begin(); i != r.end(); ++i) body(i);
                        finished.fetch_add(r.size(), std::memory_order_release);
                      });
  });
  (void)finished.load(std::memory_order_acquire);
}

}  // namespace switchyard::backends::threads

namespace switchyard::backends::threads {

void enqueue(std::function<void()> job) {
  // No slot reserved for a caller, so the job runs on a worker although no
  // thread ever joins this arena; as many workers as oneTBB has (cores - 1).
  static tbb::task_arena arena(static_cast<int>(std::max(1u, concurrency(0) - 1)), 0);
  arena.enqueue(std::move(job));
}

}  // namespace switchyard::backends::threads
