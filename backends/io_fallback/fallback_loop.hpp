// The fallback backend of io::context, for when io_uring cannot be used:
// sockets through epoll (readiness, then the non-blocking call), files
// through a small thread pool (the blocking call on another thread), timers
// in a heap. The same operations and semantics, other mechanisms.
#pragma once

#include <memory>
#include <string>

#include <switchyard/io/detail/loop.hpp>

namespace switchyard::backends::io_fallback {

/// `why` is what the context reports as backend_reason().
std::unique_ptr<io::detail::loop> make_loop(std::string why);

}  // namespace switchyard::backends::io_fallback
