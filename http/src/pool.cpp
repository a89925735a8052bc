// http::pool: a client per context of an io::runtime, requests dealt round
// robin. Each client is made here (making one touches no loop) and
// destroyed on its own context's thread, where curl's sockets are watched.
#include <switchyard/http.hpp>

namespace switchyard::http {

pool::pool(io::runtime& rt, client_options options) : rt_(&rt) {
  clients_.reserve(rt.size());
  for (std::size_t i = 0; i < rt.size(); ++i) clients_.push_back(std::make_unique<client>(rt.at(i), options));
}

pool::~pool() {
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    // Now where this thread is that context's; else posted there (a post
    // that cannot be made leaves the client for the process's end).
    rt_->at(i).loop().run_on_loop([c = clients_[i].release()] { delete c; });
  }
}

task<response> pool::fetch(request r) {
  const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed) % clients_.size();
  co_return co_await rt_->on(i, clients_[i]->fetch(std::move(r)));
}

task<response> pool::get(std::string url) {
  request r;
  r.url = std::move(url);
  return fetch(std::move(r));
}

std::size_t pool::connections_opened() const noexcept {
  std::size_t n = 0;
  for (const auto& c : clients_) n += c->connections_opened();
  return n;
}

}  // namespace switchyard::http
