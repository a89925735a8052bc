#include "request.hpp"

#include <cctype>

namespace static_server {
namespace {

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~': return true;
    default: return false;
  }
}

bool is_path_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void reject(int status, std::string reason) { throw rejection{status, std::move(reason)}; }

}  // namespace

std::optional<std::size_t> head_end(std::string_view buffer) {
  const auto at = buffer.find("\r\n\r\n");
  if (at == std::string_view::npos) return std::nullopt;
  return at + 4;
}

request parse_head(std::string_view head) {
  if (head.size() > max_head_bytes) reject(431, "the request head is longer than 8 KiB");
  const auto line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    reject(400, "the request line is not METHOD SP TARGET SP VERSION");
  }
  request r;
  r.method = std::string(line.substr(0, sp1));
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (r.method.empty()) reject(400, "no method");
  for (char c : r.method) {
    if (!is_token_char(c)) reject(400, "a character that is not allowed in the method");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (version.starts_with("HTTP/") && version.size() == 8) reject(505, "only HTTP/1.0 and HTTP/1.1");
    reject(400, "the version is not HTTP/x.y");
  }
  r.keep_alive = version == "HTTP/1.1";
  if (target.empty() || target.front() != '/') reject(400, "the target does not start with '/'");
  for (char c : target) {
    if (!is_path_char(c)) reject(400, "the target has a character this server does not serve (only A-Z a-z 0-9 / . - _ ~)");
  }
  for (std::size_t i = 0; i < target.size();) {
    const auto next = target.find('/', i + 1);
    const std::string_view segment = target.substr(i + 1, next == std::string_view::npos ? target.npos : next - i - 1);
    if (segment == "..") reject(400, "the target climbs out of the root");
    if (next == std::string_view::npos) break;
    i = next;
  }
  r.path = std::string(target);
  bool has_host = false;
  for (std::size_t at = line_end + 2; at + 2 <= head.size();) {
    const auto end = head.find("\r\n", at);
    if (end == at) break;  // the empty line that ends the head
    const std::string_view field = head.substr(at, end - at);
    const auto colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) reject(400, "a header line without a name and a colon");
    for (char c : field.substr(0, colon)) {
      if (!is_token_char(c)) reject(400, "a character that is not allowed in a header name");
    }
    for (char c : field.substr(colon + 1)) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) reject(400, "a control character in a header value");
    }
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    const std::string name = lower(field.substr(0, colon));
    if (name == "host") {
      if (has_host) reject(400, "two Host headers");
      has_host = true;
    } else if (name == "content-length") {
      if (value != "0") reject(413, "this server takes no request body");
    } else if (name == "transfer-encoding") {
      reject(413, "this server takes no request body");
    } else if (name == "connection") {
      const std::string v = lower(value);
      if (v == "close") r.keep_alive = false;
      if (v == "keep-alive") r.keep_alive = true;
    }
    at = end + 2;
  }
  if (!has_host && version == "HTTP/1.1") reject(400, "an HTTP/1.1 request without a Host header");
  if (r.method != "GET" && r.method != "HEAD") reject(405, "only GET and HEAD");
  return r;
}

}  // namespace static_server
