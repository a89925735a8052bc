// Each CPU's kernel tuning (how the kernels read ahead of a long input and
// add the widened sum: one per kind of CPU, kernels/common/cpu_tuning.hpp)
// reads every element: the loops it changes (the extrema's wider turns,
// count's looped touches, the sums' touches into L2 on a long stream and
// their adds) find the extremes wherever they are, count what the serial
// kernel counts and sum to its bits. That the tunings give the same bits as
// each other and as the serial kernel, op by op, is determinism_test's
// EveryCpusTuningGivesTheSameBits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "kernels/common/cpu_tuning.hpp"
#include "support/cpu_tunings.hpp"
#include "support/fingerprint.hpp"
#include "support/reference.hpp"
#include "support/sanitizers.hpp"
#include "support/simd_targets.hpp"

namespace sy = switchyard;
namespace st = switchyard::testing;

namespace {

/// Each kind of CPU measured gets the tuning measured best on it
/// (docs/PERF.md, "Every line ahead on Intel", "A page ahead", "Zen 1", "Zen
/// 1's adds", "Zen 4's prefetchers"), Zen 4 by its model numbers, which
/// family 25 shares with Zen 3; one not measured, Zen 2 among them, the
/// default: a touch per page and fused adds.
TEST(CpuTuning, EachKindOfCpuMeasuredGetsItsTuning) {
  namespace k = sy::kernels;
  using maker = k::cpu_identity::maker;
  const k::cpu_tuning page{}, intel{.stream = k::stream_policy::lines_ahead};
  const k::cpu_tuning zen4{
      .stream = k::stream_policy::page_ahead_for_pairs, .fast_streams_on_avx2 = true, .widening_on_avx2 = true};
  const k::cpu_tuning zen1{
      .stream = k::stream_policy::lines_ahead, .lines_ahead_bytes = 1024, .adds = k::add_form::plain};
  EXPECT_EQ(page.stream, k::stream_policy::page_ahead);
  EXPECT_EQ(page.adds, k::add_form::fused);
  EXPECT_EQ(intel.lines_ahead_bytes, 2048u);
  EXPECT_EQ(k::cpu_tuning_for({maker::intel, 6, 167}), intel);  // the Xeon guest
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 23, 1}), zen1);
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 23, 8}), zen1);   // Zen+
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 23, 49}), page);  // Zen 2, not measured
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 25, 1}), page);   // Zen 3
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 25, 33}), page);  // Zen 3 (Vermeer)
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 25, 80}), page);  // Zen 3 (Cezanne)
  for (const unsigned zen4_model : {16u, 17u, 31u, 97u, 116u, 160u, 175u}) {  // Genoa, Raphael, Phoenix, Bergamo
    EXPECT_EQ(k::cpu_tuning_for({maker::amd, 25, zen4_model}), zen4) << "model " << zen4_model;
  }
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 25, 15}), page);
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 25, 32}), page);
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 25, 176}), page);
  EXPECT_EQ(k::cpu_tuning_for({maker::amd, 26, 2}), page);   // Zen 5
  EXPECT_EQ(k::cpu_tuning_for({maker::other, 0, 0}), page);
}

/// The tuning in words (the bench's tuning check names its alternatives so).
TEST(CpuTuning, ATuningInWordsNamesEveryField) {
  namespace k = sy::kernels;
  using maker = k::cpu_identity::maker;
  EXPECT_EQ(k::to_string(k::cpu_tuning_for({maker::amd, 23, 1})),
            "stream=lines_ahead lines_ahead=1KiB adds=plain fast_streams_on_avx2=off widening_on_avx2=off");
  EXPECT_EQ(k::to_string(k::cpu_tuning_for({maker::amd, 25, 17})),
            "stream=page_ahead_for_pairs adds=fused fast_streams_on_avx2=on widening_on_avx2=on");
  EXPECT_EQ(k::to_string(k::cpu_tuning{.lines_ahead_bytes = 640}),
            "stream=page_ahead adds=fused fast_streams_on_avx2=off widening_on_avx2=off");
  EXPECT_EQ(k::to_string(k::cpu_tuning{.stream = k::stream_policy::lines_ahead, .lines_ahead_bytes = 640}),
            "stream=lines_ahead lines_ahead=640B adds=fused fast_streams_on_avx2=off widening_on_avx2=off");
  EXPECT_EQ(k::to_string(static_cast<k::stream_policy>(3)), "invalid");
}

/// A test's tuning is what the kernels then read, field by field, and
/// nullopt gives back the CPU's own.
TEST(CpuTuning, ATestsTuningIsReadAsSet) {
  namespace k = sy::kernels;
  const k::cpu_tuning own = k::cpu_tuning_in_use();
  for (const k::cpu_tuning t : {k::cpu_tuning{.stream = k::stream_policy::lines_ahead, .lines_ahead_bytes = 4096},
                                k::cpu_tuning{.lines_ahead_bytes = 64, .adds = k::add_form::plain},
                                k::cpu_tuning{.stream = k::stream_policy::page_ahead_for_pairs,
                                              .adds = k::add_form::plain,
                                              .fast_streams_on_avx2 = true},
                                k::cpu_tuning{.lines_ahead_bytes = 1024, .widening_on_avx2 = true},
                                k::cpu_tuning{}}) {
    k::set_cpu_tuning_for_test(t);
    EXPECT_EQ(k::cpu_tuning_in_use(), t);
  }
  k::set_cpu_tuning_for_test(std::nullopt);
  EXPECT_EQ(k::cpu_tuning_in_use(), own);
}

/// The kernels use the tuning of the CPU they run on, read from cpuid as
/// /proc/cpuinfo shows it.
TEST(CpuTuning, TheKernelsUseThisCpusTuning) {
  namespace k = sy::kernels;
  k::set_cpu_tuning_for_test(std::nullopt);
  const k::cpu_identity cpu = k::this_cpu();
  EXPECT_EQ(k::cpu_tuning_in_use(), k::cpu_tuning_for(cpu));
#if defined(__x86_64__)
  std::ifstream info("/proc/cpuinfo");
  unsigned family = 0, model = 0;
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("cpu family", 0) == 0) family = static_cast<unsigned>(std::stoul(line.substr(line.find(':') + 1)));
    if (line.rfind("model\t", 0) == 0) {
      model = static_cast<unsigned>(std::stoul(line.substr(line.find(':') + 1)));
      break;
    }
  }
  EXPECT_EQ(cpu.family, family);
  EXPECT_EQ(cpu.model, model);
  EXPECT_NE(cpu.vendor, k::cpu_identity::maker::other);
#endif
}

/// count_if over an input of long_stream_bytes or more reads ahead
/// with a loop of touches under lines_ahead, and its last chunks (less
/// of the input left) and every chunk under page_ahead unrolled ones
/// (kernels/simd/count-inl.h): the counts of floats and of bytes, from a
/// start off a line, on simd and on two threads, are the serial kernel's.
TEST(CpuTuning, EachStreamPolicyCountsALongStreamAlike) {
  namespace k = sy::kernels;
  const std::size_t bytes = k::long_stream_bytes + (std::size_t{1} << 16) + 3;
  const auto f = st::random_values<float>(bytes / sizeof(float) + 1, 12);
  const auto b = st::random_values<std::uint8_t>(bytes + 1, 13);
  const std::span<const float> fv(f.data() + 1, bytes / sizeof(float));  // off a line
  const std::span<const std::uint8_t> bv(b.data() + 1, bytes);
  auto counts = [&](const sy::options& o) {
    return std::vector<std::size_t>{sy::count_if(fv, sy::gt(0.0f), o), sy::count_if(fv, sy::le(fv[7]), o),
                                    sy::count_if(bv, sy::gt(std::uint8_t{100}), o),
                                    sy::count_if(bv, sy::eq(bv[5]), o)};
  };
  const auto want = counts({.backend = sy::backend::serial});
  st::under_every_cpu_tuning(
      [&] {
        st::on_every_simd_target([&](auto) {
          EXPECT_EQ(counts({.backend = sy::backend::simd}), want);
          EXPECT_EQ(counts({.backend = sy::backend::threads, .max_threads = 2}), want);
        });
      },
      /*only_stream=*/true);
}

/// The float sums over an input of long_stream_bytes or more are compiled
/// apart for it (their touches reach into L2 under lines_ahead; the last
/// chunks, with less of the input left, and every chunk under page_ahead
/// touch into L1: kernels/simd/stream-inl.h, Stream's kToL2), and the
/// widened sum's adds and the compensated step apart for Zen 1
/// (cpu_tuning.hpp, add_form):
/// every op in every accuracy (fingerprint_every_accuracy: the sums, norm2,
/// the extrema and a count), of floats and doubles from a start off a line,
/// on simd and on two threads, gives the serial kernel's bits.
template <class T>
void check_long_stream_sums() {
  namespace k = sy::kernels;
  const std::size_t n = (k::long_stream_bytes + (std::size_t{1} << 16)) / sizeof(T) + 3;
  const auto x = st::random_values<T>(n + 1, 14), y = st::random_values<T>(n + 1, 15);
  const std::span<const T> xv(x.data() + 1, n), yv(y.data() + 1, n);  // off a line
  const auto want = st::fingerprint_every_accuracy(xv, yv, {.backend = sy::backend::serial, .deterministic = true});
  st::under_every_cpu_tuning([&] {
    st::on_every_simd_target([&](auto) {
      EXPECT_EQ(st::fingerprint_every_accuracy(xv, yv, {.backend = sy::backend::simd, .deterministic = true}), want);
      EXPECT_EQ(st::fingerprint_every_accuracy(xv, yv, {.backend = sy::backend::threads, .deterministic = true,
                                                        .max_threads = 2}),
                want);
    });
  });
}

TEST(CpuTuning, EveryTuningSumsALongStreamAlike) {
  check_long_stream_sums<float>();
  check_long_stream_sums<double>();
}

/// A whole chunk's extremes are read in turns of 8 vectors under
/// lines_ahead and of 4 under page_ahead (kernels/simd/extremum-inl.h,
/// kWideTurn), each block ending in a group of 4 and single vectors: the
/// least, the greatest and a NaN, put at positions a prime stride apart
/// (so they fall at every offset within a turn, and in every block) and at
/// the last element, are found where they are.
template <class T>
void check_extremes_anywhere_in_a_stream() {
  const std::size_t n = (std::size_t{3} << 16) + 77;
  auto buffer = st::random_values<T>(n + 1, 11);
  T* const v = buffer.data() + 1;  // off a line
  const std::span<const T> at(v, n);
  const T least = std::numeric_limits<T>::lowest(), greatest = std::numeric_limits<T>::max();
  const sy::options simd{.backend = sy::backend::simd};
  // Under the sanitizers every seventh of these places: what they check, the
  // reads, is the same wherever the extremes are, and the whole sweep was
  // the asan stage's longest test (16 s); the release preset runs them all.
  const std::size_t stride = st::sanitized ? 7 * 1021 : 1021;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < n; i += stride) positions.push_back(i);
  positions.push_back(n - 1);
  for (const std::size_t i : positions) {
    const std::size_t j = n - 1 - i;  // the greatest's place, elsewhere
    SCOPED_TRACE("least at " + std::to_string(i));
    const T saved_i = v[i], saved_j = v[j];
    v[j] = greatest;
    v[i] = least;  // i == j: the least overwrites
    EXPECT_EQ(sy::argmin(at, simd)->index, i);
    if (i != j) {
      EXPECT_EQ(sy::argmax(at, simd)->index, j);
      const auto b = *sy::minmax(at, simd);
      EXPECT_EQ(b.min, least);
      EXPECT_EQ(b.max, greatest);
    }
    v[i] = std::numeric_limits<T>::quiet_NaN();
    EXPECT_EQ(sy::argmin(at, simd)->index, i);
    EXPECT_EQ(sy::argmax(at, simd)->index, i);
    EXPECT_TRUE(std::isnan(sy::minmax(at, simd)->min));
    v[i] = saved_i;
    v[j] = saved_j;
    if (::testing::Test::HasFailure()) return;  // one failing place says enough
  }
}

TEST(CpuTuning, EachStreamPolicyFindsTheExtremesAnywhere) {
  st::under_every_cpu_tuning(
      [] {
        st::on_every_simd_target([](auto) {
          check_extremes_anywhere_in_a_stream<float>();
          check_extremes_anywhere_in_a_stream<double>();
        });
      },
      /*only_stream=*/true);
}

}  // namespace
