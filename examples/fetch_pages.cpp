// "Download a bunch of pages concurrently, then concatenate them into one":
// N pages from a local server, at most K in flight, joined in order, every
// byte checked. The fetching is get_and_join, below: switchyard::http (curl on
// the io::context's loop) does the HTTP, when_all does the joining.
//
//   fetch_pages make-pages DIR N SIZE      writes DIR/page-<i>.html (the server's root)
//   fetch_pages fetch PORT N SIZE K [C]    fetches them from 127.0.0.1:PORT and checks them;
//                                          with C contexts (io::runtime), an http::pool
//                                          deals the pages to them, K/C at once on each
// examples/run_with_nginx.sh runs both against a real nginx.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <switchyard/io.hpp>
#if FETCH_PAGES_HAS_HTTP
#include <switchyard/http.hpp>
#endif

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

int make_pages(const std::string& dir, std::size_t n, std::size_t size) {
  for (std::size_t i = 0; i < n; ++i) {
    std::ofstream(dir + "/" + page_name(i), std::ios::binary) << page_content(i, size);
  }
  return 0;
}

#if FETCH_PAGES_HAS_HTTP
namespace http = switchyard::http;

/// Every page through `web` (an http::client, or an http::pool over a
/// runtime's contexts), all asked for at once, joined in order.
template <class Web>
task<std::string> get_and_join(Web& web, const std::vector<std::string>& urls, std::size_t& opened) {
  std::vector<task<http::response>> gets;
  for (const std::string& url : urls) gets.push_back(web.get(url));
  std::string all;
  for (const http::response& r : co_await io::when_all(std::move(gets))) {
    if (r.status != 200) throw std::runtime_error(r.url + ": HTTP status " + std::to_string(r.status));
    all += r.body;
  }
  opened = web.connections_opened();
  co_return all;
}

task<std::string> fetch_all(io::context& ctx, std::vector<std::string> urls, std::size_t k, std::size_t& opened) {
  http::client web(ctx, {.max_in_flight = k});
  co_return co_await get_and_join(web, urls, opened);
}

/// The same over a runtime's contexts: an http::pool deals the pages to
/// them in turn, each context's client keeping its own connections.
task<std::string> fetch_on_every_context(io::runtime& rt, std::vector<std::string> urls, std::size_t k,
                                         std::size_t& opened) {
  http::pool web(rt, {.max_in_flight = std::max<std::size_t>(1, k / rt.size())});
  co_return co_await get_and_join(web, urls, opened);
}

int fetch(const std::string& port, std::size_t n, std::size_t size, std::size_t k, std::size_t contexts) {
  std::vector<std::string> urls;
  for (std::size_t i = 0; i < n; ++i) urls.push_back("http://127.0.0.1:" + port + "/" + page_name(i));
  std::size_t opened = 0;
  std::string all, backend;
  const auto t0 = std::chrono::steady_clock::now();
  if (contexts <= 1) {
    io::context ctx;
    all = ctx.run(fetch_all(ctx, std::move(urls), k, opened));
    backend = ctx.backend_name();
  } else {
    io::runtime rt(contexts);
    all = rt.run(fetch_on_every_context(rt, std::move(urls), k, opened));
    backend = std::string(rt.at(0).backend_name()) + ", " + std::to_string(contexts) + " contexts";
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string want;
  for (std::size_t i = 0; i < n; ++i) want += page_content(i, size);
  const bool same = all == want;
  std::printf("fetched %zu pages (%zu bytes) in %.1f ms over %zu connections on %s: %s\n", n, all.size(), ms, opened,
              backend.c_str(), same ? "every byte checked" : "CONTENT DIFFERS");
  return same && opened <= k ? 0 : 1;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "make-pages" && argc == 5) return make_pages(argv[2], std::stoul(argv[3]), std::stoul(argv[4]));
#if FETCH_PAGES_HAS_HTTP
    if (mode == "fetch" && (argc == 6 || argc == 7)) {
      return fetch(argv[2], std::stoul(argv[3]), std::stoul(argv[4]), std::stoul(argv[5]), argc == 7 ? std::stoul(argv[6]) : 1);
    }
#else
    if (mode == "fetch") {
      std::fprintf(stderr, "fetch_pages: this build has no switchyard::http (libcurl4-openssl-dev was not found)\n");
      return 1;
    }
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fetch_pages: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: fetch_pages make-pages DIR N SIZE | fetch PORT N SIZE K [CONTEXTS]\n");
  return 2;
}
