// The reductions with random sizes, alignments, values and options: every
// CPU backend (and automatic) must give serial's bits, or the same typed
// error; count_if must also match a plain loop. Input: op, type, accuracy,
// alignment offset and a repeat count in the first bytes; the rest is the
// values (cycled to length, so one input can span several chunks).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <switchyard/switchyard.hpp>

#include "kernels/common/sanitizers.hpp"

namespace sy = switchyard;

namespace {

/// A result as bytes to compare: NaNs of any payload as one.
template <class V>
void put(std::string& out, const V& v) {
  if constexpr (std::is_floating_point_v<V>) {
    if (std::isnan(v)) {
      out += "nan;";
      return;
    }
  }
  if constexpr (std::is_arithmetic_v<V>) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
    out += ';';
  } else if constexpr (requires { v.index; }) {
    put(out, v.value);
    put(out, v.index);
  } else if constexpr (requires { v.min; }) {
    put(out, v.min);
    put(out, v.max);
  } else if constexpr (requires { v.has_value(); }) {
    if (v) put(out, *v);
    else out += "none;";
  } else {
    static_assert(sizeof(V) == 0, "a result type put() does not know");
  }
}

template <class T>
std::string run(unsigned op, std::span<const T> x, std::span<const T> y, T threshold, sy::comparison cmp,
                const sy::options& o) {
  std::string out;
  try {
    switch (op) {
      case 0: put(out, sy::sum(x, o)); break;
      case 1: put(out, sy::dot(x, y, o)); break;
      case 2: put(out, sy::sum_of_squares(x, o)); break;
      case 3: put(out, sy::norm2(x, o)); break;
      case 4: put(out, sy::min(x, o)); break;
      case 5: put(out, sy::max(x, o)); break;
      case 6: put(out, sy::argmin(x, o)); break;
      case 7: put(out, sy::argmax(x, o)); break;
      case 8: put(out, sy::minmax(x, o)); break;
      default: put(out, sy::count_if(x, sy::compare<T>{cmp, threshold}, o)); break;
    }
  } catch (const sy::error& e) {
    out = "error " + std::to_string(e.code().value());
  }
  return out;
}

/// Spreads the pool over out, cycled and shuffled.
template <class T>
void fill(std::span<T> out, std::span<const T> pool) {
  const std::size_t given = pool.size();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = pool[(i * 7 + i / given) % given];
}

template <class T>
void check(const std::uint8_t* data, std::size_t size, unsigned op, sy::accuracy mode, std::size_t offset,
           std::size_t repeat) {
  const std::size_t given = size / sizeof(T);
  if (given == 0) return;
  std::vector<T> pool(given);
  std::memcpy(pool.data(), data, given * sizeof(T));
  const std::size_t n = std::max(given, std::min(given * repeat, std::size_t{1} << 20));  // 2^20: 16 chunks
  // Not zeroed first: fill writes every element the spans hold.
  const auto storage = std::make_unique_for_overwrite<T[]>(offset + 2 * n);
  fill(std::span<T>(storage.get() + offset, 2 * n), std::span<const T>(pool));
  const std::span<const T> x(storage.get() + offset, n);
  const std::span<const T> y(storage.get() + offset + n, n);
  const T threshold = pool[0];
  const auto cmp = static_cast<sy::comparison>(data[0] % 6);

  // Every backend gives the first one's bits. Under ThreadSanitizer only
  // threads and automatic: serial and simd run on this thread alone (half
  // the replay's time there, nothing for TSan to check), and the other
  // presets compare all four.
  using enum sy::backend;
  constexpr std::array<sy::backend, 4> every{serial, simd, threads, automatic};
  const std::span<const sy::backend> compared =
      SWITCHYARD_THREAD_SANITIZED ? std::span(every).subspan(2) : std::span(every);
  const std::string want = run<T>(op, x, y, threshold, cmp, {.backend = compared[0], .accuracy = mode});
  for (sy::backend b : compared.subspan(1)) {
    if (run<T>(op, x, y, threshold, cmp, {.backend = b, .accuracy = mode}) != want) __builtin_trap();
  }
  if (op >= 9) {
    std::size_t count = 0;
    for (const T v : x) count += sy::compare<T>{cmp, threshold}(v) ? 1 : 0;
    std::string plain;
    put(plain, count);
    if (plain != want) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return -1;
  const unsigned op = data[0] % 10;
  const unsigned type = data[1] % 5;
  const auto mode = static_cast<sy::accuracy>(data[2] % 3);
  const std::size_t offset = data[3] % 16;
  // Mostly short, sometimes long enough for several chunks and every thread.
  const std::size_t repeat = data[4] < 240 ? 1 : std::size_t{1} << (data[4] - 240);
  data += 5;
  size -= 5;
  switch (type) {
    case 0: check<float>(data, size, op, mode, offset, repeat); break;
    case 1: check<double>(data, size, op, mode, offset, repeat); break;
    case 2: check<std::int32_t>(data, size, op, mode, offset, repeat); break;
    case 3: check<std::int64_t>(data, size, op, mode, offset, repeat); break;
    default: check<std::uint8_t>(data, size, op, mode, offset, repeat); break;
  }
  return 0;
}
