// The benchmarks' raw-socket baseline at work: many pages from one server
// over the hand-written client's keep-alive connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <switchyard/io/context.hpp>
#include <switchyard/task.hpp>

namespace http {

/// GETs each target from 127.0.0.1:port, at most in_flight at once (each
/// on a connection of one pool); the total bytes of their bodies.
switchyard::task<std::size_t> fetch_many(switchyard::io::context& ctx, std::uint16_t port, std::size_t in_flight,
                                         std::vector<std::string> targets);

}  // namespace http
