// The site the http client's tests fetch from: one nginx for the suite,
// over HTTP and HTTPS (a certificate made by the openssl command), its
// pages, and the fixture that starts it. Shared by http_client_test.cpp and
// http_client_out_of_memory_test.cpp, one program: the fixture is one class
// (GoogleTest holds a suite to one), and its nginx is started once.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <switchyard/http.hpp>
#include <switchyard/io.hpp>

#include "io/io_support.hpp"
#include "nginx/nginx.hpp"

namespace switchyard::testing::http_site {

namespace http = switchyard::http;
namespace io = switchyard::io;
namespace fs = std::filesystem;

inline std::string page(std::size_t i) {
  std::string s;
  while (s.size() < 4096) s += "page " + std::to_string(i) + " line " + std::to_string(s.size()) + "\n";
  s.resize(4096);
  return s;
}

inline std::string big_text() {
  std::string s;
  for (int i = 0; s.size() < (1 << 20); ++i) s += "a compressible line, number " + std::to_string(i) + "\n";
  return s;
}

/// One nginx for the suite, with a certificate for localhost, 127.0.0.1 and
/// ::1 made by the openssl command.
class Http : public switchyard::testing::Io {
 protected:
  static void SetUpTestSuite() {
    tls_dir_ = fs::temp_directory_path() / ("switchyard-http-test-" + std::to_string(::getpid()));
    fs::create_directories(tls_dir_);
    const std::string make_certificate =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 -keyout " + (tls_dir_ / "key.pem").string() +
        " -out " + ca_file() + " 2>/dev/null";
    ASSERT_EQ(std::system(make_certificate.c_str()), 0) << "the openssl command did not make a certificate";
    fs::permissions(tls_dir_, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
    switchyard::bench::nginx_site site;
    site.ipv6 = true;
    site.tls_certificate = ca_file();
    site.tls_key = (tls_dir_ / "key.pem").string();
    site.http_lines = "  gzip on;\n  gzip_types text/plain;\n  gzip_min_length 1;\n";
    site.server_lines = "    location = /redirect { return 302 /page-0.html; }\n";
    nginx_ = new switchyard::bench::nginx_server(
        [](const std::string& root) {
          for (std::size_t i = 0; i < 8; ++i) std::ofstream(root + "/page-" + std::to_string(i) + ".html") << page(i);
          std::ofstream(root + "/big.txt") << big_text();
        },
        site);
    // curl's and OpenSSL's process-wide state, made once, before any test
    // counts descriptors.
    io::context ctx;
    (void)ctx.run(http::get(ctx, url("127.0.0.1", "/page-0.html")));
  }
  static void TearDownTestSuite() {
    delete nginx_;
    fs::remove_all(tls_dir_);
  }
  static std::string ca_file() { return (tls_dir_ / "cert.pem").string(); }
  static std::string url(const std::string& host, const std::string& path) {
    return "http://" + host + ":" + std::to_string(nginx_->port()) + path;
  }
  static std::string tls_url(const std::string& host, const std::string& path) {
    return "https://" + host + ":" + std::to_string(nginx_->tls_port()) + path;
  }
  /// `count` transfers on `web`, page i % 8 for the i-th, all at once.
  static switchyard::task<std::vector<http::response>> fetch_pages(http::client& web, std::size_t count) {
    std::vector<switchyard::task<http::response>> all;
    for (std::size_t i = 0; i < count; ++i) all.push_back(web.get(url("127.0.0.1", "/page-" + std::to_string(i % 8) + ".html")));
    co_return co_await io::when_all(std::move(all));
  }
  /// That page i holds page(i % 8).
  static void expect_pages(const std::vector<http::response>& pages) {
    for (std::size_t i = 0; i < pages.size(); ++i) ASSERT_EQ(pages[i].body, page(i % 8)) << i;
  }

  static inline switchyard::bench::nginx_server* nginx_ = nullptr;
  static inline fs::path tls_dir_;
};

}  // namespace switchyard::testing::http_site
