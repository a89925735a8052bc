// A stop asked for on a thread that cannot allocate: what a signal
// handler's thread, a watchdog or a compute thread may be when memory runs
// out. Include in a program that links support/failing_allocations.cpp.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <switchyard/io.hpp>

#include "support/failing_allocations.hpp"

namespace switchyard::testing {

/// How a wait on `ctx` ended when a thread of the test asked for its stop
/// 20 ms into it, while no thread but the loop's could allocate:
/// "cancelled", "lost", "ended on its own" or "failed: " and what it threw. A stop that has not reached
/// the wait 5 s later is lost: then `end_anyway` ends the wait on the
/// loop's thread (a stop is asked for once), so that the test ends and
/// says so.
template <class EndAnyway>
std::string stop_without_memory(io::context& ctx, task<void> wait, EndAnyway end_anyway) {
  using namespace std::chrono_literals;
  std::stop_source stop;
  wait.handle().promise().stop = stop.get_token();
  std::atomic<bool> waiting{false};
  std::thread stopper([&] {  // made before allocations fail
    while (!waiting.load()) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(20ms);
    stop.request_stop();
  });
  auto waited = [&]() -> task<std::string> {
    try {
      co_await std::move(wait);
    } catch (const io::cancelled_error&) {
      co_return "cancelled";
    } catch (const std::exception& e) {
      co_return std::string("failed: ") + e.what();
    }
    co_return "ended on its own";
  };
  auto lost = [&]() -> task<std::string> {
    co_await io::sleep_for(ctx, 5s);
    end_anyway();
    co_return "lost";
  };
  auto race = [&]() -> task<std::string> {
    std::vector<task<std::string>> both;
    both.push_back(waited());
    both.push_back(lost());
    const only_this_thread_allocates others_cannot;
    waiting = true;
    auto [first, outcome] = co_await io::when_any(std::move(both));
    co_return outcome;
  };
  std::string got = ctx.run(race());
  stopper.join();
  return got;
}

}  // namespace switchyard::testing
