// "Download a bunch of pages concurrently, then concatenate them into one":
// N pages over HTTP/1.1 from a local server, at most K in flight over K
// keep-alive connections, joined with when_all, concatenated in order, and
// every byte checked.
//
//   fetch_pages make-pages DIR N SIZE   writes DIR/page-<i>.html (the server's root)
//   fetch_pages fetch PORT N SIZE K     fetches them from 127.0.0.1:PORT and checks them
// examples/run_with_nginx.sh runs both against a real nginx.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <switchyard/io.hpp>

#include "http/http1.hpp"

namespace io = switchyard::io;
using switchyard::task;

namespace {

/// Page i's bytes: deterministic, different for every page and offset.
std::string page_content(std::size_t i, std::size_t size) {
  std::string s;
  while (s.size() < size) s += "page " + std::to_string(i) + " at " + std::to_string(s.size()) + "\n";
  s.resize(size);
  return s;
}

std::string page_name(std::size_t i) { return "page-" + std::to_string(i) + ".html"; }

task<std::string> fetch_one(http::connection_pool& pool, std::size_t i, std::string host) {
  auto c = co_await pool.take();
  std::string target = "/";
  target += page_name(i);  // not "/" + name: GCC 12 warns falsely (-Wrestrict) on that in a coroutine
  http::response r = co_await c->get(std::move(host), std::move(target));
  if (r.status != 200) throw std::runtime_error(page_name(i) + ": HTTP status " + std::to_string(r.status));
  if (r.keep_alive) pool.give_back(std::move(c));
  co_return std::move(r.body);
}

task<std::string> fetch_all(io::context& ctx, std::uint16_t port, std::size_t n, std::size_t k, std::size_t& opened) {
  http::connection_pool pool(ctx, port);
  io::limiter in_flight(ctx, k);
  std::vector<task<std::string>> fetches;
  const std::string host = "127.0.0.1:" + std::to_string(port);
  for (std::size_t i = 0; i < n; ++i) fetches.push_back(in_flight.run(fetch_one(pool, i, host)));
  const std::vector<std::string> pages = co_await io::when_all(std::move(fetches));
  std::string all;
  for (const auto& p : pages) all += p;
  opened = pool.opened();
  co_return all;
}

int make_pages(const std::string& dir, std::size_t n, std::size_t size) {
  for (std::size_t i = 0; i < n; ++i) {
    std::ofstream(dir + "/" + page_name(i), std::ios::binary) << page_content(i, size);
  }
  return 0;
}

int fetch(std::uint16_t port, std::size_t n, std::size_t size, std::size_t k) {
  io::context ctx;
  std::size_t opened = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string all = ctx.run(fetch_all(ctx, port, n, k, opened));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string want;
  for (std::size_t i = 0; i < n; ++i) want += page_content(i, size);
  const bool same = all == want;
  std::printf("fetched %zu pages (%zu bytes) in %.1f ms over %zu connections on %s: %s\n", n, all.size(), ms, opened,
              std::string(ctx.backend_name()).c_str(), same ? "every byte checked" : "CONTENT DIFFERS");
  return same && opened <= k ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "make-pages" && argc == 5) return make_pages(argv[2], std::stoul(argv[3]), std::stoul(argv[4]));
    if (mode == "fetch" && argc == 6) {
      return fetch(static_cast<std::uint16_t>(std::stoul(argv[2])), std::stoul(argv[3]), std::stoul(argv[4]),
                   std::stoul(argv[5]));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fetch_pages: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: fetch_pages make-pages DIR N SIZE | fetch PORT N SIZE K\n");
  return 2;
}
