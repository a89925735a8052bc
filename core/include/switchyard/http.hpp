// HTTP(S) on an io::context, through libcurl's multi-socket interface (the
// switchyard::http component: find_package(switchyard COMPONENTS http),
// target switchyard::http). The context does curl's waiting: curl's sockets
// are polled by the loop (io_uring or epoll) and its timers are the loop's
// timers, so thousands of transfers run on the loop's one thread. HTTPS,
// HTTP/2, redirects, chunked bodies, compression, connection reuse, name
// lookup and Happy Eyeballs are curl's.
//
//     io::context ctx;
//     http::response r = ctx.run(http::get(ctx, "https://example.org/"));
//
// Many transfers: one client (its connections are reused), at most
// max_in_flight at once, the rest wait in line:
//
//     http::client web(ctx, {.max_in_flight = 64});
//     std::vector<task<http::response>> all;
//     for (auto& url : urls) all.push_back(web.get(url));
//     auto pages = co_await io::when_all(std::move(all));
//
// A status of 400 or more is a response, not an error. A transfer that fails
// throws: io::resolve_error (no such host), std::system_error with the
// system's errno (refused, unreachable, reset), io::timeout_error (the
// request's timeout), io::cancelled_error (its task's stop_token), else
// http::transfer_error with curl's code and words (a TLS failure, a
// malformed response, a body over client_options::max_body_bytes). Each
// names the method and the URL. A response whose memory runs out ends its
// transfer with std::bad_alloc, as does out of memory inside curl where
// curl reports it as such; out of memory in curl's work on the client's
// connections (its multi handle) ends every transfer then in flight on the
// client with std::bad_alloc, since curl's record of them may be broken.
// The client goes on.
//
// A client belongs to one context, is used from its loop's thread, and
// outlives the transfers it runs; the context outlives the client.
//
// On an io::runtime, an http::pool is a client on every context: its
// requests go to the contexts in turn, so its connections (and curl's work)
// spread over the cores, and each fetch resumes on the caller's context:
//
//     io::runtime rt;
//     http::pool web(rt, {.max_in_flight = 32});    // per context
//     auto pages = rt.run(get_all(web, urls));       // when_all of web.get(url)
#pragma once

#include <switchyard/detail/export.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <switchyard/io/context.hpp>
#include <switchyard/io/runtime.hpp>
#include <switchyard/task.hpp>

namespace switchyard::http {

/// A header field.
struct field {
  std::string name;  ///< lower-case in a response
  std::string value;
};

struct request {
  std::string url{};
  std::string method = "GET";
  std::vector<field> headers{};
  std::string body{};
  /// The whole transfer's limit; 0: the client's (client_options::timeout).
  std::chrono::milliseconds timeout{0};
};

struct SWITCHYARD_API response {
  int status = 0;
  /// The final response's headers, after redirects, in the order received.
  std::vector<field> headers{};
  std::string body{};  ///< decoded (chunked, gzip, br, zstd)
  std::string url{};   ///< where the body came from, after redirects
  /// The first header called `name` (any case), if there is one.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct client_options {
  /// Transfers at once; more wait in line (first come, first served).
  std::size_t max_in_flight = 256;
  /// Connections to one host at once; 0: as many as transfers need.
  std::size_t max_connections_per_host = 0;
  /// A request's limit when it sets none; 0: none.
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  bool follow_redirects = true;
  long max_redirects = 10;
  /// A response body's largest size, decoded; a larger one (by its
  /// Content-Length, or as it arrives) ends its transfer with a
  /// transfer_error of curl's CURLE_FILESIZE_EXCEEDED (63). 0: no limit.
  std::size_t max_body_bytes = 0;
  /// A PEM file of certificate authorities to trust instead of the system's.
  std::string ca_file{};
  /// Off only for testing: accepts any certificate and any host name.
  bool verify_peer = true;
};

/// A transfer that failed for a reason curl names (TLS, protocol, ...).
class SWITCHYARD_API transfer_error : public std::runtime_error {
 public:
  transfer_error(int curl_code, const std::string& what) : std::runtime_error(what), code_(curl_code) {}
  /// curl's CURLcode.
  int curl_code() const noexcept { return code_; }

 private:
  int code_;
};

class SWITCHYARD_API client {
 public:
  explicit client(io::context& ctx, client_options options = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  task<response> fetch(request r);
  task<response> get(std::string url);
  /// Connections opened so far (the rest of the transfers reused one).
  std::size_t connections_opened() const noexcept;

  struct state;

 private:
  std::unique_ptr<state> s_;
};

/// A client on every context of a runtime (above). Made on any thread; its
/// fetches are awaited from tasks on the runtime's contexts (they hop to a
/// context and back, as io::runtime::on does). Each context's client is
/// destroyed on its own context's thread: the pool's destructor posts that
/// where it is not on it, so the runtime must outlive the pool, which must
/// outlive its transfers.
class SWITCHYARD_API pool {
 public:
  /// `options` apply to each context's client (max_in_flight per context).
  explicit pool(io::runtime& rt, client_options options = {});
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// r on the next context, round robin; resumes on the caller's context.
  task<response> fetch(request r);
  task<response> get(std::string url);
  /// Connections opened so far over every context; read it once the
  /// transfers that count have ended.
  std::size_t connections_opened() const noexcept;

 private:
  struct seat;
  io::runtime* rt_;
  std::vector<std::unique_ptr<seat>> seats_;  // a client per context, by index
  std::atomic<std::size_t> next_{0};
};

/// One transfer on a client of its own (no reuse: make a client for many).
SWITCHYARD_API task<response> get(io::context& ctx, std::string url);
SWITCHYARD_API task<response> fetch(io::context& ctx, request r);

}  // namespace switchyard::http
