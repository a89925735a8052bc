// http::client: each transfer is an easy handle (kept for reuse) on the
// client's multi handle; its task waits for curl_driver's done().
#include <switchyard/http.hpp>
#include <switchyard/io/detail/stop_watch.hpp>
#include <switchyard/io/errors.hpp>
#include <switchyard/io/limiter.hpp>

#include <curl/curl.h>
#include <netdb.h>

#include <algorithm>
#include <cctype>
#include <coroutine>
#include <exception>
#include <new>
#include <optional>
#include <stop_token>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "curl_driver.hpp"

namespace switchyard::http {

std::optional<std::string_view> response::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (std::equal(h.name.begin(), h.name.end(), name.begin(), name.end(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                               std::tolower(static_cast<unsigned char>(b)); })) {
      return h.value;
    }
  }
  return std::nullopt;
}

class transfer;

struct client::state {
  state(io::context& c, client_options o)
      : ctx(&c), options(std::move(o)), driver(c, &state::end_all_out_of_memory, this), slots(c, options.max_in_flight) {
    if (options.max_in_flight == 0) throw std::invalid_argument("http::client: max_in_flight must be at least 1");
    if (options.max_connections_per_host > 0) {
      driver.set_multi_option(CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.max_connections_per_host));
    }
    // Keep a connection for every transfer that may run at once.
    driver.set_multi_option(CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_in_flight));
  }
  ~state() {
    for (CURL* e : idle) ::curl_easy_cleanup(e);
  }
  /// An easy handle with the client's options set; each transfer sets its
  /// own (transfer::configure) over them. Kept for the next transfer without
  /// a reset: setting the ~15 options that never change cost more per
  /// transfer than curl's own work for a small page.
  CURL* take_easy() {
    if (!idle.empty()) {
      CURL* e = idle.back();
      idle.pop_back();
      return e;
    }
    CURL* e = ::curl_easy_init();
    if (!e) throw std::bad_alloc();  // curl set up (the driver did), only its memory can fail
    try {
      set_client_options(e);
    } catch (...) {
      ::curl_easy_cleanup(e);
      throw;
    }
    return e;
  }
  /// Keeps e for the next transfer; out of memory, lets it go instead.
  void give_back(CURL* e) noexcept {
    try {
      idle.push_back(e);
    } catch (...) {
      ::curl_easy_cleanup(e);
    }
  }
  void set_client_options(CURL* e) const;
  /// curl_driver's word that its multi handle ran out of memory.
  static void end_all_out_of_memory(void* self) noexcept;

  io::context* ctx;
  client_options options;
  detail::curl_driver driver;
  io::limiter slots;
  std::vector<CURL*> idle;
  std::unordered_set<transfer*> active;
  std::size_t connections = 0;
};

namespace {

void set_option(CURL* easy, CURLoption option, auto value, const std::string& about) {
  if (const CURLcode c = ::curl_easy_setopt(easy, option, value); c != CURLE_OK) {
    if (c == CURLE_OUT_OF_MEMORY) throw std::bad_alloc();  // a copy of a string option
    throw std::invalid_argument("http: " + about + ": " + ::curl_easy_strerror(c));
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

}  // namespace

/// One request in flight: the awaitable its task waits on.
class transfer final : public detail::transfer_sink {
 public:
  transfer(client::state& s, request& r) : s_(&s), r_(&r), easy_(s.take_easy()) {
    try {
      configure();
    } catch (...) {
      release_easy();
      throw;
    }
  }
  ~transfer() { release_easy(); }
  transfer(const transfer&) = delete;
  transfer& operator=(const transfer&) = delete;

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    const std::stop_token stop = switchyard::detail::stop_token_of(h);
    if (stop.stop_requested()) {
      cancelled_ = true;
      return false;
    }
    wake_.waiter = h;
    // Known as active before curl has it: release_easy() takes out of the
    // multi handle only what is active, and a handle left in it would be
    // reused while curl still drives it.
    s_->active.insert(this);
    try {
      s_->driver.add(easy_, this);
    } catch (...) {
      s_->active.erase(this);
      throw;
    }
    on_stop_.arm(s_->ctx->loop(), stop, this, cancel);
    return true;
  }
  response await_resume() {
    on_stop_.disarm();
    const std::string what = r_->method + " " + r_->url;
    if (cancelled_) throw io::cancelled_error(what + ": cancelled");
    if (out_of_memory_) throw std::bad_alloc();
    if (failure_) std::rethrow_exception(failure_);
    if (over_limit_) {
      throw transfer_error(CURLE_FILESIZE_EXCEEDED,
                           what + ": the body is over max_body_bytes (" + std::to_string(s_->options.max_body_bytes) + ")");
    }
    long connects = 0;
    ::curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &connects);
    s_->connections += static_cast<std::size_t>(std::max(connects, 0L));
    if (code_ != CURLE_OK) fail(what);
    long status = 0;
    ::curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    out_.status = static_cast<int>(status);
    char* url = nullptr;
    ::curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &url);
    out_.url = url ? url : r_->url;
    return std::move(out_);
  }

  /// curl's write and header callbacks, with this transfer as their data.
  /// What they throw (no memory for the body) must not unwind through
  /// curl's C frames, which left the transfer and the multi handle half
  /// done (a transfer hung past its timeout): it is kept for
  /// await_resume, and the callback's short count makes curl end the
  /// transfer (CURLE_WRITE_ERROR), as a body over max_body_bytes does.
  static std::size_t on_body(char* data, std::size_t, std::size_t n, void* self) noexcept {
    auto* t = static_cast<transfer*>(self);
    const std::size_t limit = t->s_->options.max_body_bytes;
    if (limit > 0 && n > limit - std::min(limit, t->out_.body.size())) {
      t->over_limit_ = true;
      return 0;
    }
    return t->keeping_failure(n, [&] { t->out_.body.append(data, n); });
  }
  static std::size_t on_header(char* data, std::size_t, std::size_t n, void* self) noexcept {
    auto* t = static_cast<transfer*>(self);
    return t->keeping_failure(n, [&] { t->add_header(std::string_view(data, n)); });
  }

  void done(CURLcode code) override {
    code_ = code;
    s_->active.erase(this);
    s_->ctx->loop().schedule(wake_);
  }

  /// Out of memory in the multi handle it was on (curl_driver::renew):
  /// taken out of curl's care, to end as std::bad_alloc; `active` no
  /// longer holds it.
  void end_out_of_memory() noexcept {
    s_->driver.remove(easy_);
    out_of_memory_ = true;
    s_->ctx->loop().schedule(wake_);
  }

 private:
  /// The task's stop, on the loop's thread: a transfer still with curl
  /// leaves it (one that ended meanwhile has its result).
  static void cancel(void* self) noexcept {
    auto* t = static_cast<transfer*>(self);
    client::state* s = t->s_;
    if (!s->active.erase(t)) return;
    s->driver.remove(t->easy_);
    t->cancelled_ = true;
    s->ctx->loop().schedule(t->wake_);
  }

  /// n once f() has run; 0 (curl ends the transfer) if it threw, what it
  /// threw kept for await_resume.
  template <class F>
  std::size_t keeping_failure(std::size_t n, F&& f) noexcept {
    try {
      f();
      return n;
    } catch (...) {
      failure_ = std::current_exception();
      return 0;
    }
  }

  void add_header(std::string_view line) {
    if (line.starts_with("HTTP/")) {
      out_.headers.clear();  // a new response (after a redirect, or a 100 Continue)
      return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;  // the blank line that ends them
    out_.headers.push_back({lower(std::string(trim(line.substr(0, colon)))), std::string(trim(line.substr(colon + 1)))});
  }

  /// What this transfer sets over the client's options: everything a
  /// previous transfer on the same handle may have set differently.
  void configure() {
    const std::string about = r_->method + " " + r_->url;
    auto set = [&](CURLoption option, auto value) { set_option(easy_, option, value, about); };
    set(CURLOPT_URL, r_->url.c_str());
    set(CURLOPT_ERRORBUFFER, error_text_);
    set(CURLOPT_WRITEDATA, static_cast<void*>(this));
    set(CURLOPT_HEADERDATA, static_cast<void*>(this));
    const auto timeout = r_->timeout.count() > 0 ? r_->timeout : s_->options.timeout;
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    set(CURLOPT_HTTPGET, 1L);  // the method back to GET, without a body
    set(CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
    if (r_->method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else if (r_->method == "POST") {
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r_->body.size()));
      set(CURLOPT_POSTFIELDS, r_->body.data());
    } else if (r_->method != "GET") {
      set(CURLOPT_CUSTOMREQUEST, r_->method.c_str());
      if (!r_->body.empty()) {
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r_->body.size()));
        set(CURLOPT_POSTFIELDS, r_->body.data());
      }
    }
    for (const field& h : r_->headers) {
      const std::string line = h.name + ": " + h.value;
      curl_slist* more = ::curl_slist_append(headers_, line.c_str());
      if (!more) throw std::bad_alloc();
      headers_ = more;
    }
    set(CURLOPT_HTTPHEADER, headers_);  // none: nullptr
  }

  [[noreturn]] void fail(const std::string& what) {
    // Out of memory in curl is out of memory, as anywhere in the library.
    if (code_ == CURLE_OUT_OF_MEMORY) throw std::bad_alloc();
    const std::string why = what + ": " + (error_text_[0] ? error_text_ : ::curl_easy_strerror(code_));
    long os_errno = 0;
    ::curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &os_errno);
    switch (code_) {
      case CURLE_OPERATION_TIMEDOUT: throw io::timeout_error(why, out_.body.size());
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY: throw io::resolve_error(EAI_NONAME, why);
      case CURLE_COULDNT_CONNECT:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
        if (os_errno != 0) throw std::system_error(static_cast<int>(os_errno), std::generic_category(), why);
        break;
      default: break;
    }
    throw transfer_error(code_, why);
  }

  void release_easy() noexcept {
    if (!easy_) return;
    if (s_->active.erase(this)) s_->driver.remove(easy_);
    if (headers_) ::curl_slist_free_all(std::exchange(headers_, nullptr));
    s_->give_back(std::exchange(easy_, nullptr));
  }

  client::state* s_;
  request* r_;
  CURL* easy_;
  curl_slist* headers_ = nullptr;
  response out_;
  CURLcode code_ = CURLE_OK;
  std::exception_ptr failure_;
  bool over_limit_ = false;
  bool cancelled_ = false;
  bool out_of_memory_ = false;
  char error_text_[CURL_ERROR_SIZE] = {};
  io::detail::ready_node wake_;  // its task, and how the loop queues it
  io::detail::stop_watch on_stop_;
};

void client::state::end_all_out_of_memory(void* self) noexcept {
  auto* s = static_cast<state*>(self);
  for (transfer* t : std::exchange(s->active, {})) t->end_out_of_memory();
}

void client::state::set_client_options(CURL* e) const {
  const client_options& o = options;
  auto set = [e](CURLoption option, auto value) { set_option(e, option, value, "the client's options"); };
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_WRITEFUNCTION, &transfer::on_body);
  set(CURLOPT_HEADERFUNCTION, &transfer::on_header);
  set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl decodes
  set(CURLOPT_USERAGENT, "switchyard");
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  set(CURLOPT_FOLLOWLOCATION, o.follow_redirects ? 1L : 0L);
  set(CURLOPT_MAXREDIRS, o.max_redirects);
  // curl refuses a body whose Content-Length is over the limit before it
  // arrives; on_body checks the rest as they grow.
  if (o.max_body_bytes > 0) set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_body_bytes));
  if (!o.ca_file.empty()) set(CURLOPT_CAINFO, o.ca_file.c_str());
  set(CURLOPT_SSL_VERIFYPEER, o.verify_peer ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, o.verify_peer ? 2L : 0L);
}

client::client(io::context& ctx, client_options options) : s_(std::make_unique<state>(ctx, std::move(options))) {}

client::~client() = default;

task<response> client::fetch(request r) {
  const io::limiter::permit place = co_await s_->slots.acquire();
  co_return co_await transfer(*s_, r);
}

task<response> client::get(std::string url) {
  request r;
  r.url = std::move(url);
  return fetch(std::move(r));
}

std::size_t client::connections_opened() const noexcept { return s_->connections; }

task<response> fetch(io::context& ctx, request r) {
  client one(ctx);
  co_return co_await one.fetch(std::move(r));
}

task<response> get(io::context& ctx, std::string url) {
  request r;
  r.url = std::move(url);
  return fetch(ctx, std::move(r));
}

}  // namespace switchyard::http
