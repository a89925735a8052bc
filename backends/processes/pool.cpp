// The processes backend: worker processes compute the per-chunk partials of a
// built-in reduction (worker_pool, shard_run), which combine here in the same
// fixed tree as every CPU backend, so the bits match serial, simd and threads.
#include "backends/processes/pool.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <switchyard/detail/tree_reduce.hpp>
#include <switchyard/engine.hpp>

#include "backends/processes/worker_pool.hpp"
#include "core/src/compute_backend.hpp"
#include "core/src/engine_state.hpp"
#include "kernels/common/chunk_kernel.hpp"
#include "kernels/common/chunking.hpp"

namespace switchyard::backends::processes {

namespace {

class processes_backend final : public detail::compute_backend, detail::region_listener {
 public:
  processes_backend(unsigned workers, std::chrono::milliseconds stall) : pool_(workers, stall) {
    detail::add_region_listener(this);
  }
  ~processes_backend() override { detail::remove_region_listener(this); }

  std::string unavailable_reason() override {
    const long fd = syscall(SYS_pidfd_open, getpid(), 0);
    if (fd < 0) {
      return std::string("this kernel lacks pidfd_open (Linux 5.3 or later is needed to watch workers): ") +
             std::strerror(errno) + "; use backend::threads for parallel CPU work";
    }
    close(static_cast<int>(fd));
    return {};
  }

  detail::status reduce(const kernels::reduction& r, const detail::placement& p, void* partial) noexcept override {
    return detail::guarded([&] {
      kernels::with_types(r, [&]<class T, class P>() {
        std::vector<P> parts(kernels::chunk_count(r.n));
        pool_.run(r, kernels::chunk_elements, parts.data(), sizeof(P), p.max_threads);
        *static_cast<P*>(partial) = detail::tree_reduce(
            std::span(parts), [&](const P& l, const P& rr) { return kernels::combine_partials(r.op, l, rr); });
      });
    });
  }

  void forget(std::uint64_t id) noexcept override {
    try {
      pool_.forget(id);
    } catch (...) {
      // Unmapping in the workers is best effort; they unmap everything on exit.
    }
  }

  pool& workers() noexcept { return pool_; }

 private:
  pool pool_;
};

}  // namespace

std::unique_ptr<detail::compute_backend> make(const engine_config& config) {
  return std::make_unique<processes_backend>(config.max_threads, config.worker_stall_timeout);
}

namespace testing {
void fail_chunk(std::size_t chunk, int times) {
  hook_chunk.store(chunk);
  first_shard_failures.store(times);
}
void fail_first_shard(int times) { fail_chunk(0, times); }
void stop_first_shard(int times) {
  hook_chunk.store(0);
  first_shard_stops.store(times);
}
void error_first_shard(int times) {
  hook_chunk.store(0);
  first_shard_errors.store(times);
}
void limit_job_chunks(std::size_t chunks) { job_chunk_limit.store(chunks); }
int rerun_chunks() { return processes::rerun_chunks.load(); }
std::vector<pid_t> worker_pids(const engine& e) {
  auto& b = dynamic_cast<processes_backend&>(e.state().backend_for(backend::processes));
  return b.workers().pids();
}
}  // namespace testing

}  // namespace switchyard::backends::processes
