// The cost model's arithmetic (cost_model.hpp says what it models).
#include "cost_model.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/common/chunking.hpp"

namespace switchyard::detail::dispatch {
namespace {

constexpr std::size_t index(memory m) noexcept { return static_cast<std::size_t>(m); }

/// The sizes of the parallel backends' measurement points: L1 and L2 are
/// caches per core, so a point holds that much per worker.
std::array<double, level_count> parallel_points(const profile& p) noexcept {
  std::array<double, level_count> at = p.points.bytes;
  at[0] *= p.workers;
  at[1] *= p.workers;
  for (std::size_t i = 1; i < level_count; ++i) at[i] = std::max(at[i], at[i - 1] * 1.01);
  return at;
}

cost single_thread(const profile& p, const kernel_rate& r, const query& q) noexcept {
  const double bytes = bytes_read(q.key.op, q.key.type, q.n);
  const double gbs = std::min(r.gbs, interpolate(p.stream_gbs, p.points.bytes, bytes));
  return {r.fixed_ns, bytes / gbs, 0};
}

/// Chunks spread over workers, each running the simd kernel: whole rounds of
/// chunks with every worker busy, sharing the bandwidth, then a last round
/// with fewer (a lone worker there streams as fast as one thread can).
double chunked_bytes_ns(const profile& p, const parallel_rates& rates, memory where, const query& q,
                        std::size_t chunk_elements) noexcept {
  const double bytes = bytes_read(q.key.op, q.key.type, q.n);
  const std::size_t chunks = (q.n + chunk_elements - 1) / chunk_elements;
  const std::size_t w = std::max<std::size_t>(1, std::min<std::size_t>(q.workers, chunks));
  const std::size_t rounds = (chunks + w - 1) / w;
  const std::size_t last_round = chunks - (rounds - 1) * w;  // workers busy in it
  const double chunk_bytes = bytes_read(q.key.op, q.key.type, chunk_elements);
  const double last_chunk_bytes = bytes - chunk_bytes * static_cast<double>(chunks - 1);
  const double aggregate = interpolate(rates.gbs[static_cast<std::size_t>(where)], parallel_points(p), bytes);
  const double kernel = p.simd[index_of(q.key)].gbs;
  const double alone = std::min(kernel, interpolate(p.stream_gbs, p.points.bytes, bytes));
  const auto per_worker = [&](std::size_t busy) { return std::min(alone, aggregate / static_cast<double>(busy)); };
  const double last = last_round == 1 ? last_chunk_bytes : chunk_bytes;
  return static_cast<double>(rounds - 1) * chunk_bytes / per_worker(w) + last / per_worker(last_round);
}

/// A parallel backend's cost at q.where, with the part that moving the data
/// adds split off: the difference to `resident`, where it reads the data as
/// it lies.
template <class FixedNs, class BytesNs>
cost split(memory resident, const query& q, FixedNs fixed_ns, BytesNs bytes_ns) noexcept {
  cost c{fixed_ns(resident), bytes_ns(resident), 0};
  if (q.where != resident) c.transfer_ns = std::max(0.0, fixed_ns(q.where) + bytes_ns(q.where) - c.total());
  return c;
}

cost chunked(const profile& p, const parallel_rates& r, memory resident, const query& q) noexcept {
  return split(
      resident, q, [&](memory m) { return r.fixed_ns[index(m)]; },
      [&](memory m) { return chunked_bytes_ns(p, r, m, q, kernels::chunk_elements); });
}

/// The GPU reads its whole input at once; host data crosses the bus first.
cost on_gpu(const profile& p, const query& q) noexcept {
  const double bytes = bytes_read(q.key.op, q.key.type, q.n);
  return split(
      memory::device, q, [&](memory m) { return p.cuda.fixed_ns[index(m)]; },
      [&](memory m) { return bytes / interpolate(p.cuda.gbs[index(m)], p.points.bytes, bytes); });
}

}  // namespace

double interpolate(const std::array<double, level_count>& gbs, const std::array<double, level_count>& at,
                   double bytes) noexcept {
  // Each level's rate holds up to its capacity (twice its measurement
  // point), then gives way to the next level's over one octave.
  for (std::size_t l = 0; l + 1 < level_count; ++l) {
    const double capacity = 2 * at[l];
    if (bytes <= capacity) return gbs[l];
    if (bytes <= 2 * capacity) {
      const double t = std::log2(bytes / capacity);
      return gbs[l] + t * (gbs[l + 1] - gbs[l]);
    }
  }
  return gbs[level_count - 1];
}

cost predict_callable(const profile& p, backend b, std::size_t n, unsigned workers) noexcept {
  const double per_element = p.callable_ns_per_element;
  const std::size_t chunks = (n + generic_chunk_elements - 1) / generic_chunk_elements;
  if (b != backend::threads || chunks < 2 || workers < 2) return {0, static_cast<double>(n) * per_element, 0};
  const std::size_t w = std::min<std::size_t>(workers, chunks);
  const std::size_t rounds = (chunks + w - 1) / w;
  return {p.callable_threads_fixed_ns,
          static_cast<double>(n) * per_element * static_cast<double>(rounds) / static_cast<double>(chunks), 0};
}

bool same_bits_as_reference(backend b, kernel_key k) noexcept {
  return b != backend::cuda || !accuracy_matters(k.op, k.type);
}

std::optional<cost> predict(const profile& p, backend b, const query& q) noexcept {
  const bool device = q.where == memory::device;
  switch (b) {
    case backend::serial:
      if (device) return std::nullopt;
      return single_thread(p, p.serial[index_of(q.key)], q);
    case backend::simd:
      if (device) return std::nullopt;
      return single_thread(p, p.simd[index_of(q.key)], q);
    case backend::threads:
      if (device) return std::nullopt;
      // One chunk, or one thread, runs inline on the caller's thread.
      if (q.n <= kernels::chunk_elements || q.workers <= 1) return single_thread(p, p.simd[index_of(q.key)], q);
      return chunked(p, p.threads, q.where, q);
    case backend::processes:
      if (device || !p.processes.measured) return std::nullopt;
      return chunked(p, p.processes, memory::shared, q);
    case backend::cuda:
      if (!p.cuda.measured) return std::nullopt;
      return on_gpu(p, q);
    case backend::automatic: break;
  }
  return std::nullopt;
}

backend cheapest(const profile& p, std::span<const backend> candidates, const query& q) noexcept {
  double best = HUGE_VAL;
  std::array<double, 8> times{};
  times.fill(HUGE_VAL);
  for (const backend b : candidates) {
    if (const auto c = predict(p, b, q)) {
      times[static_cast<std::size_t>(b)] = c->total();
      best = std::min(best, c->total());
    }
  }
  for (const backend b : candidates) {
    if (times[static_cast<std::size_t>(b)] <= best * near_tie) return b;
  }
  return backend::automatic;
}

}  // namespace switchyard::detail::dispatch
