// A real nginx on a free loopback port, for the suites that fetch pages (io,
// seed): a generated configuration in a temporary folder, the pages written
// by fetch_pages, stopped and removed when the object goes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace switchyard::bench {

class nginx_server {
 public:
  /// Serves `pages` pages of `page_bytes` (fetch_pages make-pages writes
  /// them, the content fetch_pages checks). Throws std::runtime_error, with
  /// nginx's error log, when it does not start.
  nginx_server(const std::string& fetch_pages, std::size_t pages, std::size_t page_bytes);
  ~nginx_server();
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  void stop() noexcept;

  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace switchyard::bench
