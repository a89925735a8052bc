// A real nginx on a free loopback port, for the suites that fetch pages (io,
// seed): a generated configuration in a temporary folder, the pages written
// by fetch_pages, stopped and removed when the object goes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace switchyard::bench {

/// What else the server does, beyond serving its root on 127.0.0.1.
struct nginx_site {
  std::string http_lines;    ///< inside http { } (gzip on; ...)
  std::string server_lines;  ///< inside each server { } (locations)
  bool ipv6 = false;         ///< also listen on [::1], the same port
  unsigned workers = 1;      ///< worker processes
  /// When both are set, a second port serves the same site over TLS.
  std::string tls_certificate, tls_key;
};

class nginx_server {
 public:
  /// Serves `pages` pages of `page_bytes` (fetch_pages make-pages writes
  /// them, the content fetch_pages checks). Throws std::runtime_error, with
  /// nginx's error log, when it does not start.
  nginx_server(const std::string& fetch_pages, std::size_t pages, std::size_t page_bytes);
  /// Serves what write_root(folder) puts in its root, as `site` says.
  nginx_server(const std::function<void(const std::string& root)>& write_root, const nginx_site& site);
  ~nginx_server();
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// The TLS port (0 without TLS).
  std::uint16_t tls_port() const noexcept { return tls_port_; }
  /// The folder it serves.
  std::string root() const { return dir_ + "/www"; }

 private:
  void start(const std::function<void(const std::string& root)>& write_root, const nginx_site& site);
  void stop() noexcept;

  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
};

}  // namespace switchyard::bench
