// The one interface every compute backend implements, after simdjson's
// implementation interface: small, noexcept, failures returned as a status
// that the public edge turns into switchyard::error. Backends live in
// backends/<name>/, each with a make() that registry.cpp lists; nothing
// registers itself. A backend decides how a call is split and where the
// pieces run; the kernels it runs on each piece live in kernels/.
#pragma once

#include <array>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/function_ref.hpp>
#include <switchyard/error.hpp>

#include "kernels/common/reduction.hpp"

namespace switchyard::detail {

/// What went wrong inside a backend, as data: nothing (one null pointer, as
/// cheap to return as a bool) or the details. `thrown` carries the exception
/// a backend's insides or the caller's own code (a transform_reduce
/// callable) threw, rethrown as it was: out of memory is std::bad_alloc, as
/// everywhere else. Making a failed status allocates nothing that can fail:
/// without memory for its details it is out_of_memory().
struct status {
  struct details {
    errc code;
    std::string message;
    std::exception_ptr thrown;
  };
  /// Frees all details but out_of_memory()'s, which are never allocated.
  struct free_details {
    void operator()(details* d) const noexcept;
  };
  std::unique_ptr<details, free_details> failed;

  bool ok() const noexcept { return !failed; }
  static status failure(errc c, std::string_view why) noexcept;
  /// The status of the exception in flight (inside a catch block).
  static status current_exception() noexcept;
  /// Out of memory, with no details that needed any.
  static status out_of_memory() noexcept;
  /// Throws what a failed status holds: the exception as it was thrown,
  /// else a switchyard::error, or std::bad_alloc for out_of_memory().
  [[noreturn]] void raise() const;
};

/// The public edge of a backend call: nothing, or the failure thrown.
inline void throw_if_failed(const status& s) {
  if (!s.ok()) [[unlikely]] s.raise();
}

/// Runs f() and returns its failure as a status: the noexcept edge of a
/// backend whose insides report failure by throwing.
template <class F>
status guarded(F&& f) noexcept {
  try {
    f();
    return {};
  } catch (...) {
    return status::current_exception();
  }
}

class compute_backend;
class gpu_report;

/// A built-in call of at most one chunk (1 <= c.n <= kernels::chunk_elements)
/// run whole on the caller's thread, its result written to `result`; false,
/// writing nothing, where the op needs another pass (norm2 of doubles that
/// must rescale), which the backend's reduce() then runs.
using whole_call = bool (*)(const call& c, void* result);
/// A whole_call for every built-in op (first index) and element type.
using one_chunk_calls = std::array<std::array<whole_call, 5>, 10>;

/// What the engine lends a backend for one call.
struct placement {
  memory where = memory::host;  ///< where the call's data lives
  bool deterministic = false;   ///< options::deterministic
  unsigned max_threads = 1;     ///< threads or worker processes the call may use (at least 1)
  compute_backend* threads = nullptr;  ///< the engine's threads, for a backend's host-side copies
};

/// GPU memory a backend owns (device_array's storage).
class device_memory {
 public:
  virtual status allocate(std::size_t bytes, void** device) noexcept = 0;  ///< zero-filled
  virtual void release(void* device) noexcept = 0;
  virtual status copy_to_device(void* device, const void* host, std::size_t bytes) noexcept = 0;
  virtual status copy_to_host(void* host, const void* device, std::size_t bytes) noexcept = 0;

 protected:
  ~device_memory() = default;
};

class compute_backend {
 public:
  virtual ~compute_backend() = default;

  /// Empty when this backend can run here, else why not and what to do.
  /// The engine asks once it has an answer: std::bad_alloc, the only
  /// exception, fails the call that asked, and a later call asks again.
  virtual std::string unavailable_reason() = 0;
  /// Whether it reads data that lives in `m`.
  virtual bool reads(memory m) const noexcept { return m != memory::device; }
  /// Whether it runs a caller's callables (run_chunks).
  virtual bool runs_callables() const noexcept { return false; }

  /// Splits r, runs the pieces, combines their partials in switchyard's fixed
  /// tree and writes the whole input's partial (kernels::with_partial's type
  /// for r) to `partial`. r.n is at least 1.
  virtual status reduce(const kernels::reduction& r, const placement& p, void* partial) noexcept = 0;

  /// How the backend runs a call that fits in one chunk without reduce()'s
  /// layers, with the same bits; nullptr where every call goes through
  /// reduce(). The engine asks once.
  virtual const one_chunk_calls* one_chunk() const noexcept { return nullptr; }

  /// Runs body(i) for every i in [0, count) on at most max_threads threads.
  virtual status run_chunks(std::size_t count, unsigned max_threads,
                            function_ref<void(std::size_t)> body) noexcept;

  /// Runs job once, soon, on one of the backend's threads (io::offload).
  virtual status post(std::function<void()> job) noexcept;

  /// The backend's GPU memory, if it has any.
  virtual device_memory* memory_on_device() noexcept { return nullptr; }

  /// What the backend says about its GPUs (gpu_report.hpp), if it has any.
  virtual gpu_report* report_on_gpu() noexcept { return nullptr; }
};

}  // namespace switchyard::detail
