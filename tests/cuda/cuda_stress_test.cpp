// The cuda backend under load, for the first GPU it meets (tools/gpu-check
// runs it): both finishes give the same bits, the one-pass finish's counter
// survives hundreds of launches of varying grids, indices past 2^31 and
// 2^32, many streamed chunks whose values differ chunk to chunk from four
// host threads at once, and the deterministic mode's bits written out so a
// run with the kernels JIT-compiled from PTX can be compared with this one.
// Without a usable GPU every test skips, saying why.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "backends/cuda/cuda_backend.hpp"
#include "kernels/common/reduction.hpp"
#include "support/gpu_results.hpp"
#include "support/reference.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;
namespace cu = switchyard::backends::cuda;
namespace k = switchyard::kernels;

namespace {

constexpr sy::options on_cuda{.backend = sy::backend::cuda};
constexpr sy::options on_serial{.backend = sy::backend::serial};

using CudaStress = st::needs_gpu;

/// The bytes of the partial reduce_chunks writes for r over device memory.
template <class P>
std::vector<unsigned char> partial_bits(const k::reduction& r, cu::finish_pass finish, bool deterministic) {
  const sy::detail::placement on_device{.where = sy::detail::memory::device, .deterministic = deterministic};
  P out{};
  cu::reduce_chunks(r, on_device, &out, {.finish = finish});
  std::vector<unsigned char> bits(sizeof out);
  std::memcpy(bits.data(), &out, sizeof out);
  return bits;
}

/// Every op over a device array of T, as reduction descriptors.
template <class T>
std::vector<k::reduction> every_op(const T* x, const T* y, std::size_t n) {
  std::vector<k::reduction> out;
  for (k::op_kind op : {k::op_kind::sum, k::op_kind::dot, k::op_kind::sum_of_squares, k::op_kind::argmin,
                        k::op_kind::argmax, k::op_kind::minmax, k::op_kind::count}) {
    for (sy::accuracy mode : {sy::accuracy::fast, sy::accuracy::compensated}) {
      k::reduction r{.op = op, .type = k::kind_of<T>(), .mode = mode, .x = x, .y = y, .n = n};
      if (op == k::op_kind::count) {
        r.pred_op = sy::comparison::greater;
        const T zero{};
        std::memcpy(&r.pred_bits, &zero, sizeof zero);
      }
      out.push_back(r);
    }
  }
  if constexpr (!std::is_same_v<T, double>) {
    out.push_back({.op = k::op_kind::sum_of_squares_wide, .type = k::kind_of<T>(), .mode = sy::accuracy::compensated,
                   .x = x, .n = n});
  }
  return out;
}

template <class T>
void two_pass_matches_one_pass(std::size_t n) {
  const auto v = st::random_values<T>(n, n + 1);
  const auto w = st::random_values<T>(n, n + 2);
  const sy::device_array<T> x(v), y(w);
  for (const k::reduction& r : every_op<T>(x.device_data(), y.device_data(), n)) {
    for (bool deterministic : {false, true}) {
      k::with_partial<T>(r.op, [&](auto partial) {
        using P = decltype(partial);
        EXPECT_EQ(partial_bits<P>(r, cu::finish_pass::last_block, deterministic),
                  partial_bits<P>(r, cu::finish_pass::second_kernel, deterministic))
            << "op " << int(r.op) << " mode " << int(r.mode) << " deterministic " << deterministic << " n " << n;
      });
    }
  }
}

TEST_F(CudaStress, TheTwoPassFinishGivesTheOnePassBits) {
  for (std::size_t n : {std::size_t{1}, std::size_t{4097}, std::size_t{3'000'017}, std::size_t{50'000'000}}) {
    two_pass_matches_one_pass<float>(n);
    two_pass_matches_one_pass<double>(n);
    two_pass_matches_one_pass<std::int32_t>(n);
    two_pass_matches_one_pass<std::uint8_t>(n);
  }
}

// The last block resets the ticket counter for the next launch; grids of
// different sizes in turn would read a stale count as "not last yet" (a
// result never written) or "last" too early (a partial not yet stored).
TEST_F(CudaStress, FiveHundredOnePassFinishesOfChangingGridsAgree) {
  const auto v = st::random_values<float>(20'000'000, 7);
  const sy::device_array<float> d(v);
  const std::size_t sizes[] = {20'000'000, 1'000'003, 4'096, 65'537};
  std::vector<std::vector<unsigned char>> first(std::size(sizes));
  for (int round = 0; round < 500; ++round) {
    const std::size_t s = round % std::size(sizes);
    const k::reduction r{.op = k::op_kind::sum, .type = k::element_kind::f32, .mode = sy::accuracy::fast,
                         .x = d.device_data(), .n = sizes[s]};
    auto bits = partial_bits<k::sum_partial<float>>(r, cu::finish_pass::last_block, false);
    if (first[s].empty()) {
      first[s] = bits;
      k::sum_partial<float> p{};
      std::memcpy(&p, bits.data(), sizeof p);
      st::expect_close(k::finish(p), sy::sum(std::span(v).first(sizes[s]), on_serial), "sum");
    } else {
      ASSERT_EQ(bits, first[s]) << "round " << round << ", " << sizes[s] << " elements";
    }
  }
}

// Indices are 64-bit end to end: a uint8 array of 2^32 + 4096 elements
// (4 GiB), zero but for two marked elements.
TEST_F(CudaStress, IndicesPastTwoToThe31AndTwoToThe32) {
  const std::size_t n = (std::size_t{1} << 32) + 4096;
  const std::size_t past31 = (std::size_t{1} << 31) + 3, past32 = (std::size_t{1} << 32) + 7;
  sy::device_array<std::uint8_t> d(n);
  const std::uint8_t five = 5, nine = 9;
  d.upload(std::span(&five, 1), past31);
  EXPECT_EQ(sy::argmax(d)->index, past31);
  d.upload(std::span(&nine, 1), past32);
  EXPECT_EQ(sy::argmax(d)->index, past32);
  EXPECT_EQ(sy::argmin(d)->index, 0u);
  EXPECT_EQ(sy::sum(d), 14);
  EXPECT_EQ(sy::count_if(d, sy::gt(std::uint8_t{0})), 2u);
  const auto b = sy::minmax(d);
  EXPECT_EQ(b->min, 0);
  EXPECT_EQ(b->max, 9);
}

/// Values that differ chunk to chunk (streamed chunks are 16 MiB): a chunk
/// reduced twice, skipped or read from another lane's buffer shows.
std::vector<double> chunked_values(std::size_t n, int salt) {
  const std::size_t chunk = cu::stream_chunk_bytes / sizeof(double);
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>((i / chunk) * 1000 + (i * 7 + salt) % 997);
  return v;
}

// Four host threads stream twelve chunks each at once (and reduce a device
// array between), each against its own serial answer: integer-valued
// doubles, so every order gives the same bits.
TEST_F(CudaStress, FourThreadsStreamTwelveChunksAtOnce) {
  const std::size_t n = 12 * (cu::stream_chunk_bytes / sizeof(double)) + 999;
  std::vector<std::string> failures(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const auto x = chunked_values(n, t), y = chunked_values(n, t + 10);
      const std::span<const double> head = std::span(x).first(1'000'000);
      const sy::device_array<double> d(head);
      for (int round = 0; round < 3; ++round) {
        if (sy::sum(x, on_cuda) != sy::sum(x, on_serial)) failures[t] += "sum ";
        if (sy::dot(x, y, on_cuda) != sy::dot(x, y, on_serial)) failures[t] += "dot ";
        if (sy::argmax(x, on_cuda) != sy::argmax(x, on_serial)) failures[t] += "argmax ";
        if (sy::count_if(x, sy::gt(5000.0), on_cuda) != sy::count_if(x, sy::gt(5000.0), on_serial)) {
          failures[t] += "count_if ";
        }
        if (sy::sum(d) != sy::sum(head, on_serial)) failures[t] += "device sum ";
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
}

std::string hex(const void* p, std::size_t bytes) {
  std::string out;
  char digits[3];
  for (std::size_t i = 0; i < bytes; ++i) {
    std::snprintf(digits, sizeof digits, "%02x", static_cast<const unsigned char*>(p)[i]);
    out += digits;
  }
  return out;
}

// The deterministic mode's grid does not depend on the device, so its bits
// must not depend on how the kernels were compiled either: tools/gpu-check
// runs this once as built (SASS) and once with CUDA_FORCE_PTX_JIT=1, each
// writing the bits to $SWITCHYARD_BITS_OUT, and compares the two files.
// Here the bits are also held to serial's answer within the accuracy bound.
TEST_F(CudaStress, DeterministicBitsForTheJitComparison) {
  std::string lines;
  auto record = [&](const std::string& name, const auto& value) { lines += name + " " + hex(&value, sizeof value) + "\n"; };
  for (std::size_t n : {std::size_t{1'000'003}, std::size_t{30'000'000}}) {
    const auto f = st::random_values<float>(n, 11), g = st::random_values<float>(n, 12);
    const auto dd = st::random_values<double>(n, 13);
    const sy::device_array<float> df(f), dg(g);
    const sy::device_array<double> ddd(dd);
    for (sy::accuracy mode : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated}) {
      const sy::options o{.backend = sy::backend::cuda, .deterministic = true, .accuracy = mode};
      const sy::options serial{.backend = sy::backend::serial, .accuracy = mode};
      const std::string tag = std::to_string(n) + " mode" + std::to_string(int(mode));
      const float s = sy::sum(df, o), dot = sy::dot(df, dg, o), sq = sy::sum_of_squares(df, o);
      const double sd = sy::sum(ddd, o);
      st::expect_close(s, sy::sum(f, serial), "sum");
      st::expect_close(dot, sy::dot(f, g, serial), "dot");
      st::expect_close(sq, sy::sum_of_squares(f, serial), "sum_of_squares");
      st::expect_close(sd, sy::sum(dd, serial), "sum of doubles");
      record("sum f32 " + tag, s);
      record("dot f32 " + tag, dot);
      record("sum_of_squares f32 " + tag, sq);
      record("norm2 f32 " + tag, sy::norm2(df, o));
      record("sum f64 " + tag, sd);
    }
  }
  if (const char* path = std::getenv("SWITCHYARD_BITS_OUT"); path != nullptr && *path != '\0') {
    std::FILE* out = std::fopen(path, "w");
    ASSERT_NE(out, nullptr) << path;
    std::fputs(lines.c_str(), out);
    std::fclose(out);
  }
}

}  // namespace
