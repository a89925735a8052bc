// Callers on several threads at once, over every CPU backend and automatic,
// on the default engine and on engines made and dropped meanwhile: every
// answer is the serial one. A program's threads share the default engine's
// arenas, worker processes and dispatcher; this is where their hand-offs
// meet (and what ThreadSanitizer sees of them).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/switchyard.hpp>

namespace {

namespace sy = switchyard;

TEST(ConcurrentCallers, EveryBackendGivesTheSerialAnswerWhileOthersCall) {
  constexpr std::size_t largest = std::size_t{1} << 20;  // 16 chunks: threads and processes split it
  std::vector<float> v(largest);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 2654435761u) % 1000) - 500.0f;
  sy::shared_array<float> shared(v.size());
  std::copy(v.begin(), v.end(), shared.begin());

  constexpr int callers = 4;
  constexpr int calls = 40;
  std::atomic<int> wrong{0};
  std::vector<std::string> failures(callers);
  auto caller = [&](int id) {
    std::mt19937 rng(static_cast<unsigned>(id));
    try {
      for (int i = 0; i < calls; ++i) {
        const std::size_t n = std::min(largest, std::size_t{1} << (rng() % 21));
        const std::span<const float> in_vector(v.data(), n);
        const std::span<const float> in_shared(shared.data(), n);
        std::unique_ptr<sy::engine> own;  // every eighth call on an engine of its own, dropped after
        sy::options o{.deterministic = true};
        if (rng() % 8 == 0) {
          own = std::make_unique<sy::engine>(sy::engine_config{.max_threads = 2});
          o.engine = own.get();
        }
        const float want = sy::sum(in_vector, {.backend = sy::backend::serial, .deterministic = true});
        const auto lowest = sy::argmin(in_vector, {.backend = sy::backend::serial});
        float got = 0;
        switch (rng() % 5) {
          case 0: got = sy::sum(in_vector, o); break;
          case 1: o.backend = sy::backend::simd; got = sy::sum(in_vector, o); break;
          case 2: o.backend = sy::backend::threads; got = sy::sum(in_vector, o); break;
          case 3: o.backend = sy::backend::processes; got = sy::sum(in_shared, o); break;
          default: o.backend = sy::backend::processes; got = sy::sum(in_vector, o); break;
        }
        const auto found = sy::argmin(in_vector, {.engine = o.engine});
        if (got != want || !found || found->index != lowest->index) wrong.fetch_add(1);
      }
    } catch (const std::exception& e) {
      failures[static_cast<std::size_t>(id)] = e.what();
    }
  };
  std::vector<std::thread> threads;
  for (int id = 0; id < callers; ++id) threads.emplace_back(caller, id);
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  for (const auto& f : failures) EXPECT_EQ(f, "");
}

}  // namespace
