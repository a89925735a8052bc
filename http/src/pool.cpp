// http::pool: a client per context of an io::runtime, requests dealt round
// robin. Each client is made here (making one touches no loop) and
// destroyed on its own context's thread, where curl's sockets are watched.
#include <switchyard/http.hpp>

namespace switchyard::http {

/// A context's client, with the node that takes it to that context's
/// thread to be destroyed: made with the client, so that the pool's
/// destructor allocates nothing and always sends it.
struct pool::seat final : io::detail::posted_call {
  seat(io::context& ctx, const client_options& options) : c(ctx, options) {
    act = [](posted_call& node, action a) {
      // Dropped, its loop is going (the runtime went first, against the
      // contract): the client is left for the process's end, as its
      // teardown would touch that loop.
      if (a == action::run) delete static_cast<seat*>(&node);
    };
  }
  client c;
};

pool::pool(io::runtime& rt, client_options options) : rt_(&rt) {
  seats_.reserve(rt.size());
  for (std::size_t i = 0; i < rt.size(); ++i) seats_.push_back(std::make_unique<seat>(rt.at(i), options));
}

pool::~pool() {
  for (std::size_t i = 0; i < seats_.size(); ++i) {
    io::detail::loop& l = rt_->at(i).loop();
    if (l.on_loop_thread()) {
      seats_[i].reset();
    } else {
      l.post(*seats_[i].release());
    }
  }
}

task<response> pool::fetch(request r) {
  const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed) % seats_.size();
  co_return co_await rt_->on(i, seats_[i]->c.fetch(std::move(r)));
}

task<response> pool::get(std::string url) {
  request r;
  r.url = std::move(url);
  return fetch(std::move(r));
}

std::size_t pool::connections_opened() const noexcept {
  std::size_t n = 0;
  for (const auto& s : seats_) n += s->c.connections_opened();
  return n;
}

}  // namespace switchyard::http
