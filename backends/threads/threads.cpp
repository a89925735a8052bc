// The threads backend: chunks spread over a oneTBB task_arena (work stealing),
// each chunk through the SIMD kernels. One arena per thread count a call asks
// for, made on first use and kept by the engine, so a call pays no thread
// start-up and takes no lock.
#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <switchyard/engine.hpp>

#include "backends/chunked/chunked_backend.hpp"
#include "kernels/simd/kernel_set.hpp"

namespace switchyard::backends::threads {
namespace {

class threads_backend final : public chunked_backend<kernels::simd::kernel_set> {
 public:
  explicit threads_backend(unsigned max_threads) : arenas_(max_threads + 1) {}
  ~threads_backend() override {
    for (auto& a : arenas_) delete a.load();
    if (auto* q = queue_.load()) delete q;
  }

  std::string unavailable_reason() noexcept override { return {}; }
  bool runs_callables() const noexcept override { return true; }

  detail::status run_chunks(std::size_t count, unsigned max_threads,
                            detail::function_ref<void(std::size_t)> body) noexcept override {
    return detail::guarded([&] { for_each(count, max_threads, body); });
  }

  detail::status post(std::function<void()> job) noexcept override {
    return detail::guarded([&] { queue().enqueue(std::move(job)); });
  }

 private:
  void for_each(std::size_t count, unsigned max_threads, detail::function_ref<void(std::size_t)> body) {
    const unsigned threads = std::clamp<unsigned>(max_threads, 1, static_cast<unsigned>(arenas_.size() - 1));
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
    arena(threads).execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 1), [&](const tbb::blocked_range<std::size_t>& r) {
        (void)published.load(std::memory_order_acquire);
        for (std::size_t i = r.begin(); i != r.end(); ++i) body(i);
        finished.fetch_add(r.size(), std::memory_order_release);
      });
    });
    (void)finished.load(std::memory_order_acquire);
  }

  /// The arena of `threads` slots: one atomic load when it exists; the first
  /// caller makes it, and a racing second one drops its copy.
  tbb::task_arena& arena(unsigned threads) {
    std::atomic<tbb::task_arena*>& slot = arenas_[threads];
    if (tbb::task_arena* a = slot.load(std::memory_order_acquire)) return *a;
    auto made = std::make_unique<tbb::task_arena>(static_cast<int>(threads));
    tbb::task_arena* expected = nullptr;
    if (slot.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel)) return *made.release();
    return *expected;
  }

  /// Where posted jobs run: no slot reserved for a caller, so a job runs on a
  /// worker although no thread ever joins this arena.
  tbb::task_arena& queue() {
    if (tbb::task_arena* q = queue_.load(std::memory_order_acquire)) return *q;
    const int workers = static_cast<int>(std::max<std::size_t>(1, arenas_.size() - 2));
    auto made = std::make_unique<tbb::task_arena>(workers, 0);
    tbb::task_arena* expected = nullptr;
    if (queue_.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel)) return *made.release();
    return *expected;
  }

  std::vector<std::atomic<tbb::task_arena*>> arenas_;
  std::atomic<tbb::task_arena*> queue_{nullptr};
};

}  // namespace

std::unique_ptr<detail::compute_backend> make(const engine_config& config) {
  return std::make_unique<threads_backend>(config.max_threads);
}

}  // namespace switchyard::backends::threads
