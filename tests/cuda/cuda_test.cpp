// The cuda backend's own tests: device_array, reductions over device memory,
// host input streamed in several chunks, run-to-run bits, errors that leak
// nothing. Without a usable GPU every test skips, saying why; the unavailable
// path itself is tested in edge_test (Backends.*), which also runs with the
// GPU hidden (ctest: cuda_hidden).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include <switchyard/switchyard.hpp>

#if SWITCHYARD_HAS_CUDA
#include <cuda_runtime.h>
#endif

#include "support/gpu_results.hpp"
#include "support/reference.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;
using st::expect_close;
using st::same;

namespace {

constexpr sy::options on_cuda{.backend = sy::backend::cuda};
constexpr sy::options on_serial{.backend = sy::backend::serial};

using Cuda = st::needs_gpu;

/// Every op over `values`, on the GPU (from a device_array, and from host
/// memory) against serial on the host.
template <class T>
void check_every_op(const std::vector<T>& values, const std::vector<T>& second) {
  const sy::device_array<T> d(values), d2(second);
  expect_close(sy::sum(d), sy::sum(values, on_serial), "sum");
  expect_close(sy::sum(values, on_cuda), sy::sum(values, on_serial), "sum from host");
  expect_close(sy::dot(d, d2), sy::dot(values, second, on_serial), "dot");
  expect_close(sy::dot(values, second, on_cuda), sy::dot(values, second, on_serial), "dot from host");
  expect_close(sy::sum_of_squares(d), sy::sum_of_squares(values, on_serial), "sum_of_squares");
  expect_close(sy::norm2(d), sy::norm2(values, on_serial), "norm2");
  // Extrema and counts are exact, indices included.
  const auto mn = sy::argmin(d), mx = sy::argmax(d);
  const auto want_mn = sy::argmin(values, on_serial), want_mx = sy::argmax(values, on_serial);
  ASSERT_EQ(mn.has_value(), want_mn.has_value());
  if (mn) {
    EXPECT_EQ(mn->index, want_mn->index) << "argmin";
    EXPECT_TRUE(same(mn->value, want_mn->value)) << "argmin";
    EXPECT_EQ(mx->index, want_mx->index) << "argmax";
    EXPECT_TRUE(same(mx->value, want_mx->value)) << "argmax";
    EXPECT_EQ(sy::argmin(values, on_cuda)->index, want_mn->index) << "argmin from host";
    const auto b = sy::minmax(d), want_b = sy::minmax(values, on_serial);
    EXPECT_TRUE(same(b->min, want_b->min) && same(b->max, want_b->max)) << "minmax";
    EXPECT_TRUE(same(*sy::min(d), *sy::min(values, on_serial))) << "min";
    EXPECT_TRUE(same(*sy::max(d), *sy::max(values, on_serial))) << "max";
    const T pivot = values[values.size() / 2];
    for (auto pred : {sy::gt(T(0)), sy::le(pivot), sy::eq(pivot), sy::ne(pivot)}) {
      EXPECT_EQ(sy::count_if(d, pred), sy::count_if(values, pred, on_serial)) << "count_if op " << int(pred.op);
    }
  }
}

template <class T>
void check_type() {
  for (std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{17}, std::size_t{4096 + 5},
                        std::size_t{(1 << 20) + 7}}) {
    for (st::pattern p : st::patterns_for<T>()) {
      SCOPED_TRACE("n=" + std::to_string(n) + " pattern=" + st::name(p));
      check_every_op<T>(st::make_pattern<T>(p, n, n * 7 + 1), st::random_values<T>(n, n * 3 + 2));
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST_F(Cuda, EveryOpAndTypeMatchesTheHostOnDeviceArraysAndHostInput) {
  check_type<float>();
  check_type<double>();
  check_type<std::int32_t>();
  check_type<std::int64_t>();
  check_type<std::uint8_t>();
}

TEST_F(Cuda, DeviceArraysRoundTripAndRefuseCopiesOutsideThem) {
  std::vector<int> host(1000);
  std::iota(host.begin(), host.end(), 0);
  sy::device_array<int> d(host);
  EXPECT_EQ(d.size(), 1000u);
  EXPECT_EQ(d.download(), host);
  const std::vector<int> patch{-1, -2, -3};
  d.upload(patch, 997);
  std::vector<int> tail(3);
  d.download(tail, 997);
  EXPECT_EQ(tail, patch);
  try {
    d.upload(patch, 998);
    FAIL() << "an upload past the end ran";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
  }
  std::vector<int> back(3);
  d.download(back, 997);
  EXPECT_EQ(back, patch) << "the refused upload changed nothing";
  EXPECT_EQ(sy::device_array<float>(5).download(), std::vector<float>(5, 0.0f)) << "new arrays are zeros";
  sy::device_array<int> moved = std::move(d);
  EXPECT_EQ(moved.size(), 1000u);
  EXPECT_EQ(d.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from array is empty
}

TEST_F(Cuda, EdgeCasesOnDeviceArrays) {
  const sy::device_array<float> empty;
  EXPECT_EQ(sy::sum(empty), 0.0f);
  EXPECT_FALSE(sy::argmin(empty).has_value());
  EXPECT_FALSE(sy::minmax(empty).has_value());
  EXPECT_EQ(sy::count_if(empty, sy::gt(0.0f)), 0u);
  const sy::device_array<float> a(std::vector<float>{1, 2, 3}), b(std::vector<float>{1, 2});
  try {
    (void)sy::dot(a, b);
    FAIL();
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::length_mismatch);
  }
  try {
    (void)sy::sum(a, {.backend = sy::backend::simd});
    FAIL() << "a CPU backend read GPU memory";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::unsupported_operation);
  }
  // -0.0 and +0.0 tie (the first wins); the first NaN wins.
  const sy::device_array<float> zeros(std::vector<float>{1, -0.0f, 0.0f, 5});
  EXPECT_EQ(sy::argmin(zeros)->index, 1u);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const sy::device_array<float> nans(std::vector<float>{1, nan, -5, nan});
  EXPECT_EQ(sy::argmax(nans)->index, 1u);
  EXPECT_TRUE(std::isnan(sy::minmax(nans)->min));
  // Integer sums wrap modulo 2^64.
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const sy::device_array<std::int64_t> wrap(std::vector<std::int64_t>{big, 1});
  EXPECT_EQ(sy::sum(wrap), std::numeric_limits<std::int64_t>::min());
}

// Host input of several stream chunks: indices count from the start of the
// whole input, and ties and NaNs across chunks keep the lowest index.
TEST_F(Cuda, HostInputStreamsInChunksWithIndicesOfTheWholeInput) {
  const std::size_t chunk = (std::size_t{32} << 20) / sizeof(float);
  std::vector<float> v(2 * chunk + 12345, 1.0f);
  v[chunk + 9] = -3.0f;  // the least, tied at a later chunk
  v[2 * chunk + 100] = -3.0f;
  EXPECT_EQ(sy::sum(v, on_cuda), sy::sum(v, on_serial));  // n - 8, past 2^24: rounded
  EXPECT_EQ(sy::argmin(v, on_cuda)->index, chunk + 9);
  v[2 * chunk + 5] = std::numeric_limits<float>::quiet_NaN();
  v[chunk + 2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(sy::argmin(v, on_cuda)->index, chunk + 2);
  EXPECT_EQ(sy::count_if(v, sy::lt(0.0f), on_cuda), 2u);
}

// More chunks than the pipeline's three lanes: every lane reused twice or
// more, so the wait before a staging buffer is overwritten and the reuse of
// each lane's scratch (the one-pass finish's ticket counter resets itself)
// run under a check, for a one-input and a two-input op, against the CPU.
TEST_F(Cuda, HostInputOfTenChunksReusesEveryLaneAndStaysExact) {
  const std::size_t chunk = (std::size_t{32} << 20) / sizeof(double);
  const std::size_t n = 10 * chunk + 777;
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<double>(i % 1000);  // sums of integers below 2^53: exact in any order
    y[i] = static_cast<double>((i * 7) % 13);
  }
  x[9 * chunk + 31] = -5.0;
  const sy::options serial{.backend = sy::backend::serial};
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(sy::sum(x, on_cuda), sy::sum(x, serial));
    EXPECT_EQ(sy::dot(x, y, on_cuda), sy::dot(x, y, serial));
    EXPECT_EQ(sy::argmin(x, on_cuda), sy::argmin(x, serial));
    EXPECT_EQ(sy::count_if(x, sy::gt(500.0), on_cuda), sy::count_if(x, sy::gt(500.0), serial));
  }
}

TEST_F(Cuda, ResultsAreTheSameBitsRunToRunAndDeterministicModeToo) {
  const auto v = st::random_values<float>(10'000'000, 99);
  const sy::device_array<float> d(v);
  for (bool deterministic : {false, true}) {
    const sy::options o{.backend = sy::backend::cuda, .deterministic = deterministic,
                        .accuracy = sy::accuracy::fast};
    const float first = sy::sum(d, o), from_host = sy::sum(v, o);
    for (int run = 0; run < 5; ++run) {
      const float again = sy::sum(d, o);
      EXPECT_EQ(std::memcmp(&first, &again, sizeof first), 0) << "run " << run;
      const float again_from_host = sy::sum(v, o);
      EXPECT_EQ(std::memcmp(&from_host, &again_from_host, sizeof first), 0) << "run " << run;
    }
  }
}

// uint8 argmin and argmax take a 16-byte vector at a time on the device
// (four bytes to a word): the first best element at every position of a
// vector, alone or tied within and across vectors, against the serial backend.
TEST_F(Cuda, Uint8ExtremaAtEveryPositionOfAVectorKeepTheFirst) {
  std::mt19937 gen(7);
  for (const std::size_t n : {std::size_t{16}, std::size_t{1000}, std::size_t{1 << 20} + 5}) {
    for (std::size_t lane = 0; lane < 16; ++lane) {
      std::vector<std::uint8_t> v(n);
      for (auto& b : v) b = static_cast<std::uint8_t>(100 + gen() % 50);
      const std::size_t at = (gen() % (n / 16)) * 16 + lane;
      v[at] = 7;
      v[at ^ 8] = 251;  // the max in the other half of the same vector
      if (n > 16) {     // later ties of both
        v[n - 1] = 7;
        v[n - 2] = 251;
      }
      const sy::device_array<std::uint8_t> d(v);
      EXPECT_EQ(sy::argmin(d), sy::argmin(v, on_serial)) << n << " lane " << lane;
      EXPECT_EQ(sy::argmax(d), sy::argmax(v, on_serial)) << n << " lane " << lane;
    }
    // Few values: ties in every vector.
    std::vector<std::uint8_t> few(n);
    for (auto& b : few) b = static_cast<std::uint8_t>(gen() % 3);
    const sy::device_array<std::uint8_t> d(few);
    EXPECT_EQ(sy::argmin(d), sy::argmin(few, on_serial)) << n;
    EXPECT_EQ(sy::argmax(d), sy::argmax(few, on_serial)) << n;
    EXPECT_EQ(sy::argmin(few, on_cuda), sy::argmin(few, on_serial)) << n << " from the host";
  }
}

TEST_F(Cuda, SeveralHostThreadsReduceAtOnce) {
  const auto v = st::random_values<std::int32_t>(3'000'000, 5);
  const std::int64_t want = sy::sum(v, on_serial);
  std::vector<std::thread> threads;
  std::vector<std::int64_t> got(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const sy::device_array<std::int32_t> d(v);
      got[t] = sy::sum(d) + sy::sum(v, on_cuda) - want;
    });
  }
  for (auto& t : threads) t.join();
  for (auto g : got) EXPECT_EQ(g, want);
}

#if SWITCHYARD_HAS_CUDA
std::size_t free_device_memory() {
  std::size_t free = 0, total = 0;
  EXPECT_EQ(cudaMemGetInfo(&free, &total), cudaSuccess);
  return free;
}

TEST_F(Cuda, AnAllocationLargerThanTheDeviceIsAClearErrorAndLeaksNothing) {
  const std::size_t before = free_device_memory();
  std::size_t free = 0, total = 0;
  ASSERT_EQ(cudaMemGetInfo(&free, &total), cudaSuccess);
  try {
    sy::device_array<float> too_big(total / sizeof(float) * 2);
    FAIL() << "allocated twice the device's memory";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::resource_exhausted);
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  }
  // At least as much free as before: a failed allocation can make the driver
  // trim what it had cached (4 MiB more free on the H200), never less free.
  EXPECT_GE(free_device_memory(), before);
  // The GPU still works.
  EXPECT_EQ(sy::sum(sy::device_array<float>(std::vector<float>(100, 2.0f))), 200.0f);
}

TEST_F(Cuda, PageLockedHostInputIsCopiedWithoutStaging) {
  const std::size_t n = 20'000'000;
  float* pinned = nullptr;
  ASSERT_EQ(cudaMallocHost(&pinned, n * sizeof(float)), cudaSuccess);
  for (std::size_t i = 0; i < n; ++i) pinned[i] = float(i % 7);
  const std::span<const float> v(pinned, n);
  expect_close(sy::sum(v, on_cuda), sy::sum(v, on_serial), "sum of pinned input");
  EXPECT_EQ(sy::argmax(v, on_cuda)->index, 6u);
  cudaFreeHost(pinned);
}

// Only part of the range page-locked: staged (a direct copy would read the
// rest as if locked), and exact.
TEST_F(Cuda, APartlyPageLockedRangeIsStagedAndExact) {
  const std::size_t n = 3 * ((std::size_t{32} << 20) / sizeof(double)) + 512;  // integer sums: exact
  auto* data = static_cast<double*>(std::aligned_alloc(4096, n * sizeof(double)));
  ASSERT_NE(data, nullptr);
  const std::span<const double> v(data, n);
  for (std::size_t i = 0; i < n; ++i) data[i] = double(i % 5);
  ASSERT_EQ(cudaHostRegister(data, n / 2 * sizeof(double), cudaHostRegisterDefault), cudaSuccess);
  EXPECT_EQ(sy::sum(v, on_cuda), sy::sum(v, on_serial));
  EXPECT_EQ(sy::argmax(v, on_cuda), sy::argmax(v, on_serial));
  EXPECT_EQ(cudaHostUnregister(data), cudaSuccess);
  std::free(data);
}

// GPU memory passed as a host range: a clear error on cuda, not a CPU fault.
TEST_F(Cuda, GPUMemoryPassedAsAHostRangeIsRefused) {
  const sy::device_array<float> d(std::vector<float>(1000, 1.0f));
  const std::span<const float> wrong = device_span(d);
  try {
    (void)sy::sum(wrong, on_cuda);
    ADD_FAILURE() << "no error";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("points into GPU memory"), std::string::npos) << e.what();
  }
}
#endif

}  // namespace
