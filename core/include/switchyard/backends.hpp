// Which backends this build and this machine can run, why not when not, and
// which one a call would run on.
#pragma once

#include <string>

#include <switchyard/detail/call.hpp>
#include <switchyard/detail/export.hpp>
#include <switchyard/detail/range.hpp>
#include <switchyard/op.hpp>
#include <switchyard/options.hpp>

namespace switchyard {

/// Whether a backend can run here; when not, `reason` says why and what to do.
struct backend_status {
  bool available = false;
  std::string reason;
};

/// The status of one backend in the default engine. `automatic` is always
/// available.
SWITCHYARD_API backend_status availability(backend b);

/// What decided a call's backend, in the order they are honoured.
enum class decided_by : unsigned char {
  caller,       ///< options.backend forced it
  environment,  ///< SWITCHYARD_BACKEND forced it
  data,         ///< only this backend reads where the data lives (a device_array)
  callables,    ///< the call runs the caller's code, which only serial and threads can
  size,         ///< the size rule of automatic (the calibrated dispatcher replaces it)
};

/// "caller", "environment", "data", "callables", "size".
SWITCHYARD_API std::string_view to_string(decided_by d) noexcept;

/// The backend a call runs on, and why: what explain() returns and what
/// SWITCHYARD_LOG=decisions logs for every call.
struct decision {
  switchyard::backend backend = switchyard::backend::serial;
  decided_by by = decided_by::size;
  std::string reason;
};

/// Which backend `o` over `data` with these options would run on, and why.
/// Throws switchyard::error for options the call itself would refuse.
template <detail::contiguous_input R>
decision explain(op o, const R& data, const options& opts = {}) {
  return detail::explain(detail::describe(o, detail::as_span(data), opts));
}

}  // namespace switchyard
