// The io_uring backend of io::context: one ring, driven by one thread.
#pragma once

#include <memory>
#include <string>

#include <switchyard/io/detail/loop.hpp>

namespace switchyard::backends::io_uring {

/// A loop on a new ring, or nullptr with `why_not` set when io_uring cannot
/// be used here (ENOSYS, EPERM from seccomp or kernel.io_uring_disabled,
/// ENOMEM from the locked-memory limit, ...).
std::unique_ptr<io::detail::loop> make_loop(std::string& why_not);

}  // namespace switchyard::backends::io_uring
