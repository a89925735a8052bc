// switchyard::mpi against the one-process reduction of the concatenated
// input, over unequal splits that align to nothing, on however many ranks
// mpirun started (ctest runs 1, 2, 3 and 4).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <switchyard/backends.hpp>
#include <switchyard/device_array.hpp>
#include <switchyard/error.hpp>
#include <switchyard/mpi.hpp>
#include <switchyard/reduce.hpp>
#include <switchyard/shared_array.hpp>

namespace sy = switchyard;

namespace {

int rank_of() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int ranks() {
  int n = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

/// Whole input of n elements, the same on every rank: magnitudes spread over
/// 30 decades, so that even the chunks' compensated combine leaves low parts
/// whose rounding depends on the order in which chunks combine.
template <class T>
std::vector<T> whole_input(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  for (T& x : v) {
    if constexpr (std::is_floating_point_v<T>) {
      const double u = std::uniform_real_distribution<double>(-1, 1)(rng);
      x = static_cast<T>(u * std::pow(10.0, static_cast<int>(rng() % 31) - 15));
    } else {
      x = static_cast<T>(rng() % 200);  // duplicates: ties for argmin / argmax
    }
  }
  return v;
}

/// How many elements each rank holds: several shapes, none chunk-aligned.
std::vector<std::vector<std::size_t>> splits(std::size_t n, int parts) {
  std::vector<std::vector<std::size_t>> out;
  std::vector<std::size_t> even(static_cast<std::size_t>(parts), n / static_cast<std::size_t>(parts));
  even.back() += n % static_cast<std::size_t>(parts);
  out.push_back(even);
  std::mt19937_64 rng(n);
  for (int t = 0; t < 2; ++t) {  // random cuts, empty parts allowed
    std::vector<std::size_t> cuts{0, n};
    for (int i = 1; i < parts; ++i) cuts.push_back(rng() % (n + 1));
    std::sort(cuts.begin(), cuts.end());
    std::vector<std::size_t> counts;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) counts.push_back(cuts[i + 1] - cuts[i]);
    out.push_back(counts);
  }
  std::vector<std::size_t> tiny(static_cast<std::size_t>(parts), 0);  // small parts, the rest on the last
  std::size_t used = 0;
  for (int i = 0; i + 1 < parts; ++i) used += tiny[static_cast<std::size_t>(i)] = std::min<std::size_t>(n - used, 1 + 37 * static_cast<std::size_t>(i));
  tiny.back() = n - used;
  out.push_back(tiny);
  return out;
}

/// This rank's part of `all` under `counts`.
template <class T>
std::vector<T> my_part(const std::vector<T>& all, const std::vector<std::size_t>& counts) {
  std::size_t first = 0;
  for (int r = 0; r < rank_of(); ++r) first += counts[static_cast<std::size_t>(r)];
  return {all.begin() + static_cast<std::ptrdiff_t>(first),
          all.begin() + static_cast<std::ptrdiff_t>(first + counts[static_cast<std::size_t>(rank_of())])};
}

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// 3 chunks and a bit: every split puts chunk boundaries inside parts.
constexpr std::size_t n_elements = 3 * 65536 + 12345;

template <class T>
class Across : public testing::Test {};
using element_types = testing::Types<float, double, std::int32_t, std::int64_t, std::uint8_t>;
TYPED_TEST_SUITE(Across, element_types);

TYPED_TEST(Across, DeterministicHasTheOneProcessBitsForEverySplit) {
  using T = TypeParam;
  const auto all = whole_input<T>(n_elements, 42);
  const auto other = whole_input<T>(n_elements, 43);
  // fast and pairwise sums change bits when a chunk boundary moves (a
  // one-process check: 47 and 28 of 50 random splits of this input do), so
  // these catch a wrong ownership or exchange; the chunks' compensated combine
  // hides a wrong combine order in a few chunks, which chunk_tree_test checks
  // with a combine that shows any order.
  for (const sy::accuracy mode : {sy::accuracy::fast, sy::accuracy::pairwise, sy::accuracy::compensated})
  for (const auto& counts : splits(n_elements, ranks())) {
    const sy::options det{.deterministic = true, .accuracy = mode};
    const auto part = my_part(all, counts);
    const auto part_y = my_part(other, counts);
    SCOPED_TRACE(std::string(sy::to_string(mode)) + " " + testing::PrintToString(counts));
    EXPECT_TRUE(same_bits(sy::mpi::sum(MPI_COMM_WORLD, part, det), sy::sum(all, det)));
    EXPECT_TRUE(same_bits(sy::mpi::dot(MPI_COMM_WORLD, part, part_y, det), sy::dot(all, other, det)));
    EXPECT_TRUE(same_bits(sy::mpi::sum_of_squares(MPI_COMM_WORLD, part, det), sy::sum_of_squares(all, det)));
    EXPECT_TRUE(same_bits(sy::mpi::norm2(MPI_COMM_WORLD, part, det), sy::norm2(all, det)));
    EXPECT_EQ(sy::mpi::min(MPI_COMM_WORLD, part, det), sy::min(all, det));
    EXPECT_EQ(sy::mpi::max(MPI_COMM_WORLD, part, det), sy::max(all, det));
    EXPECT_EQ(sy::mpi::argmin(MPI_COMM_WORLD, part, det), sy::argmin(all, det));
    EXPECT_EQ(sy::mpi::argmax(MPI_COMM_WORLD, part, det), sy::argmax(all, det));
    EXPECT_EQ(sy::mpi::minmax(MPI_COMM_WORLD, part, det), sy::minmax(all, det));
    EXPECT_EQ(sy::mpi::count_if(MPI_COMM_WORLD, part, sy::gt(T(50)), det), sy::count_if(all, sy::gt(T(50)), det));
  }
}

TYPED_TEST(Across, PlainModeMatchesTheOneProcessResult) {
  using T = TypeParam;
  const auto all = whole_input<T>(n_elements, 5);
  for (const auto& counts : splits(n_elements, ranks())) {
    const auto part = my_part(all, counts);
    SCOPED_TRACE(testing::PrintToString(counts));
    if constexpr (std::is_floating_point_v<T>) {
      // Rank-order partials: the value to rounding, not the bits.
      const double expected = sy::sum(all);
      EXPECT_NEAR(sy::mpi::sum(MPI_COMM_WORLD, part), expected, 1e-5 * std::abs(expected) + 1e-6);
      EXPECT_NEAR(sy::mpi::norm2(MPI_COMM_WORLD, part), sy::norm2(all), 1e-5 * sy::norm2(all));
    } else {
      EXPECT_EQ(sy::mpi::sum(MPI_COMM_WORLD, part), sy::sum(all));  // exact (wrapping) integer sums
      EXPECT_EQ(sy::mpi::sum_of_squares(MPI_COMM_WORLD, part), sy::sum_of_squares(all));
    }
    EXPECT_EQ(sy::mpi::argmin(MPI_COMM_WORLD, part), sy::argmin(all));
    EXPECT_EQ(sy::mpi::argmax(MPI_COMM_WORLD, part), sy::argmax(all));
    EXPECT_EQ(sy::mpi::minmax(MPI_COMM_WORLD, part), sy::minmax(all));
    EXPECT_EQ(sy::mpi::count_if(MPI_COMM_WORLD, part, sy::le(T(3))), sy::count_if(all, sy::le(T(3))));
  }
}

TEST(AcrossEdges, CountIfComparesInTheElementsTypeWhenTheValueConverts) {
  const auto all = whole_input<float>(n_elements, 21);
  const auto part = my_part(all, splits(n_elements, ranks())[2]);
  EXPECT_EQ(sy::mpi::count_if(MPI_COMM_WORLD, part, sy::gt(0)), sy::count_if(all, sy::gt(0.0f)));
  const auto ints = whole_input<std::int32_t>(1000, 22);
  try {
    (void)sy::mpi::count_if(MPI_COMM_WORLD, ints, sy::gt(0.5));
    ADD_FAILURE() << "no error";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::unsupported_operation);
  }
}

TEST(AcrossEdges, EmptyEverywhereGivesZeroAndNullopt) {
  const std::vector<float> none;
  EXPECT_EQ(sy::mpi::sum(MPI_COMM_WORLD, none, {.deterministic = true}), 0.0f);
  EXPECT_EQ(sy::mpi::argmin(MPI_COMM_WORLD, none), std::nullopt);
  EXPECT_EQ(sy::mpi::minmax(MPI_COMM_WORLD, none, {.deterministic = true}), std::nullopt);
  EXPECT_EQ(sy::mpi::count_if(MPI_COMM_WORLD, none, sy::gt(0.0f)), 0u);
}

TEST(AcrossEdges, FirstNaNAndLowestGlobalIndexWin) {
  // Every rank holds 1000 elements; the minimum value 1 is on every rank at
  // local index 500, and NaNs on the last rank's 10 and on every other rank's
  // 900: the first NaN in global order is rank 0's (or the last rank's when it
  // is rank 0).
  const int n_ranks = ranks();
  std::vector<double> part(1000, 5.0);
  part[500] = 1.0;
  part[rank_of() == n_ranks - 1 ? 10 : 900] = std::numeric_limits<double>::quiet_NaN();
  const std::size_t first_nan = n_ranks == 1 ? 10 : 900;
  for (const bool det : {false, true}) {
    const auto m = sy::mpi::argmin(MPI_COMM_WORLD, part, {.deterministic = det});
    ASSERT_TRUE(m.has_value());
    EXPECT_TRUE(std::isnan(m->value));
    EXPECT_EQ(m->index, first_nan);
    std::vector<double> clean(1000, 5.0);
    clean[500] = rank_of() == 0 ? 1.0 : 1.0;
    const auto tie = sy::mpi::argmin(MPI_COMM_WORLD, clean, {.deterministic = det});
    EXPECT_EQ(tie, (sy::indexed<double>{1.0, 500}));  // rank 0's
    std::vector<float> zeros(3, rank_of() == 0 ? -0.0f : 0.0f);
    const auto z = sy::mpi::argmax(MPI_COMM_WORLD, zeros, {.deterministic = det});
    ASSERT_TRUE(z.has_value());
    EXPECT_EQ(z->index, 0u);
    EXPECT_TRUE(std::signbit(z->value));  // -0.0 and +0.0 tie: rank 0's first element
  }
}

TEST(AcrossEdges, Norm2OfHugeAndTinyDoublesRescalesWithTheSameBits) {
  for (const double scale : {1e200, 1e-200}) {
    auto all = whole_input<double>(n_elements, 9);
    for (double& x : all) x *= scale;
    for (const auto& counts : splits(n_elements, ranks())) {
      const auto part = my_part(all, counts);
      const double across = sy::mpi::norm2(MPI_COMM_WORLD, part, {.deterministic = true});
      EXPECT_TRUE(std::isfinite(across));
      EXPECT_TRUE(same_bits(across, sy::norm2(all))) << across << " against " << sy::norm2(all);
    }
  }
}

TEST(AcrossEdges, ResultOnTheRootAlone) {
  const std::vector<float> part(100, 1.0f);
  const int root = ranks() - 1;
  const float total = sy::mpi::sum({MPI_COMM_WORLD, root}, part);
  EXPECT_EQ(total, rank_of() == root ? 100.0f * static_cast<float>(ranks()) : 0.0f);
  const auto m = sy::mpi::argmax({MPI_COMM_WORLD, root}, part, {.deterministic = true});
  EXPECT_EQ(m.has_value(), rank_of() == root);
}

TEST(AcrossBackends, EveryLocalBackendGivesTheSameBits) {
  const auto all = whole_input<float>(n_elements, 77);
  const auto counts = splits(n_elements, ranks())[1];
  const auto part = my_part(all, counts);
  const float expected = sy::sum(all);
  for (const sy::backend b : {sy::backend::serial, sy::backend::simd, sy::backend::threads, sy::backend::processes}) {
    if (!sy::availability(b).available) continue;
    SCOPED_TRACE(std::string(sy::to_string(b)));
    EXPECT_TRUE(same_bits(sy::mpi::sum(MPI_COMM_WORLD, part, {.backend = b, .deterministic = true}), expected));
  }
  // A part in shared memory: the processes backend reads it in place.
  sy::shared_array<float> shared(part.size());
  std::copy(part.begin(), part.end(), shared.begin());
  EXPECT_TRUE(same_bits(sy::mpi::sum(MPI_COMM_WORLD, shared, {.backend = sy::backend::processes, .deterministic = true}),
                        expected));
}

TEST(AcrossBackends, GPUPartsReduceOnCuda) {
  const auto cuda = sy::availability(sy::backend::cuda);
  if (!cuda.available) GTEST_SKIP() << "no usable GPU here (" << cuda.reason << ")";
  const auto all = whole_input<float>(n_elements, 3);
  const auto counts = splits(n_elements, ranks())[1];
  const auto part = my_part(all, counts);
  const sy::device_array<float> on_gpu(part);
  EXPECT_EQ(sy::mpi::argmin(MPI_COMM_WORLD, on_gpu, {.deterministic = true}), sy::argmin(all));
  EXPECT_EQ(sy::mpi::minmax(MPI_COMM_WORLD, on_gpu), sy::minmax(all));
  const double expected = sy::sum(all);
  EXPECT_NEAR(sy::mpi::sum(MPI_COMM_WORLD, on_gpu), expected, 1e-5 * std::abs(expected) + 1e-6);
}

// Errors: the same switchyard::error on every rank, and the communicator still
// works afterwards (nothing was left pending).

TEST(AcrossErrors, RanksThatCallDifferentOpsAllFail) {
  if (ranks() < 2) GTEST_SKIP() << "needs two ranks to disagree";
  const std::vector<float> part(10, 1.0f);
  try {
    if (rank_of() == 1) {
      (void)sy::mpi::max(MPI_COMM_WORLD, part);
    } else {
      (void)sy::mpi::sum(MPI_COMM_WORLD, part);
    }
    ADD_FAILURE() << "no error";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("sum over float on rank 0, max over float on rank 1"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(sy::mpi::sum(MPI_COMM_WORLD, part), 10.0f * static_cast<float>(ranks()));
}

TEST(AcrossErrors, RanksThatPassDifferentTypesAllFail) {
  if (ranks() < 2) GTEST_SKIP() << "needs two ranks to disagree";
  try {
    if (rank_of() == 1) {
      (void)sy::mpi::sum(MPI_COMM_WORLD, std::vector<double>(5, 1.0));
    } else {
      (void)sy::mpi::sum(MPI_COMM_WORLD, std::vector<float>(5, 1.0f));
    }
    ADD_FAILURE() << "no error";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("over double on rank 1"), std::string::npos) << e.what();
  }
}

TEST(AcrossErrors, ARankThatThrowsMakesEveryRankThrow) {
  const int bad = ranks() - 1;
  const std::vector<float> x(1000, 1.0f);
  const std::vector<float> y(rank_of() == bad ? 999 : 1000, 1.0f);
  for (const bool det : {false, true}) {
    try {
      (void)sy::mpi::dot(MPI_COMM_WORLD, x, y, {.deterministic = det});
      ADD_FAILURE() << "no error";
    } catch (const sy::error& e) {
      EXPECT_EQ(e.code(), sy::errc::length_mismatch);
      EXPECT_EQ(std::string(e.what()).rfind("rank " + std::to_string(bad) + ": dot:", 0), 0u) << e.what();
    }
  }
  // A failure inside the local reduction (a backend this build or machine
  // cannot run, forced on one rank) reaches the others too.
  try {
    (void)sy::mpi::sum(MPI_COMM_WORLD, x, {.backend = rank_of() == bad ? sy::backend::cuda : sy::backend::serial});
    if (sy::availability(sy::backend::cuda).available) GTEST_SKIP() << "cuda works here, so nothing failed";
    ADD_FAILURE() << "no error";
  } catch (const sy::error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("rank " + std::to_string(bad) + ":", 0), 0u) << e.what();
  }
  EXPECT_EQ(sy::mpi::sum(MPI_COMM_WORLD, x), 1000.0f * static_cast<float>(ranks()));
}

TEST(AcrossErrors, NullCommunicatorAndBadRootAreRefused) {
  const std::vector<float> x(4, 1.0f);
  try {
    (void)sy::mpi::sum(MPI_COMM_NULL, x);
    ADD_FAILURE() << "no error";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("MPI_COMM_NULL"), std::string::npos);
  }
  try {
    (void)sy::mpi::sum({MPI_COMM_WORLD, ranks()}, x);
    ADD_FAILURE() << "no error";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("is not a rank"), std::string::npos) << e.what();
  }
}

TEST(AcrossErrors, DeterministicFloatSumsOfGPUPartsAreRefusedOnEveryRank) {
  // Described by hand (a device_array needs a GPU); refused before any
  // element is read, and the others hear of it.
  const std::vector<float> host(8, 1.0f);
  const bool mine_on_device = rank_of() == ranks() - 1;
  auto c = sy::detail::describe(sy::op::sum, std::span<const float>(host), {.deterministic = true},
                                mine_on_device ? sy::detail::memory::device : sy::detail::memory::host);
  float result = 0;
  try {
    sy::mpi::detail::run(MPI_COMM_WORLD, c, &result);
    ADD_FAILURE() << "no error";
  } catch (const sy::error& e) {
    EXPECT_EQ(e.code(), sy::errc::unsupported_operation);
    EXPECT_NE(std::string(e.what()).find("over a GPU part"), std::string::npos) << e.what();
  }
}

TEST(AcrossErrors, TheCallersErrorHandlerIsKept) {
  MPI_Errhandler before = MPI_ERRHANDLER_NULL;
  MPI_Comm_get_errhandler(MPI_COMM_WORLD, &before);
  (void)sy::mpi::sum(MPI_COMM_WORLD, std::vector<float>(3, 1.0f));
  MPI_Errhandler after = MPI_ERRHANDLER_NULL;
  MPI_Comm_get_errhandler(MPI_COMM_WORLD, &after);
  EXPECT_EQ(before, after);
  MPI_Errhandler_free(&before);
  MPI_Errhandler_free(&after);
}

}  // namespace
