#include "http/fetch_many.hpp"

#include <switchyard/io/limiter.hpp>
#include <switchyard/io/when_all.hpp>

#include "http/http1.hpp"

namespace http {

switchyard::task<std::size_t> fetch_many(switchyard::io::context& ctx, std::uint16_t port, std::size_t in_flight,
                                         std::vector<std::string> targets) {
  connection_pool pool(ctx, port);
  switchyard::io::limiter limit(ctx, in_flight);
  auto one = [&](const std::string& target) -> switchyard::task<std::size_t> {
    auto c = co_await pool.take();
    const response r = co_await c->get("127.0.0.1", target);
    pool.give_back(std::move(c));
    co_return r.body.size();
  };
  std::vector<switchyard::task<std::size_t>> all;
  for (const std::string& t : targets) all.push_back(limit.run(one(t)));
  std::size_t bytes = 0;
  for (std::size_t s : co_await switchyard::io::when_all(std::move(all))) bytes += s;
  co_return bytes;
}

}  // namespace http
