// examples/static_server as a user runs it: a child process on a free port,
// real sockets against it. What it serves, what it refuses (a clear status,
// the connection closed), a client that vanishes mid-response, and the
// signals that stop it. The server's descriptors are counted before and
// after the rough clients.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "support/descriptors.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

class StaticServer : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(root_);
  }

  void start(const std::vector<std::string>& extra) {
    root_ = fs::temp_directory_path() / ("switchyard-static-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "sub");
    std::ofstream(root_ / "index.html") << "<p>home</p>\n";
    std::ofstream(root_ / "a.txt") << "alpha\n";
    std::ofstream(root_ / "big.bin") << std::string(8 << 20, 'b');
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> args{STATIC_SERVER, root_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string line;
    char c;
    while (line.find('\n') == std::string::npos && ::read(out[0], &c, 1) == 1) line += c;
    ::close(out[0]);
    ASSERT_EQ(line.rfind("listening on 127.0.0.1:", 0), 0u) << line;
    port_ = static_cast<std::uint16_t>(std::stoul(line.substr(23)));
  }

  int connect_to() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    return fd;
  }

  static void send_text(int fd, const std::string& s) {
    ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }

  /// One response: its head and body (by Content-Length).
  static std::string read_response(int fd, std::string& pending, bool head_request = false) {
    char buf[65536];
    std::size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return "(closed) " + pending;
      pending.append(buf, static_cast<std::size_t>(n));
    }
    const auto cl = pending.find("Content-Length: ");
    const std::size_t length = head_request ? 0 : std::stoul(pending.substr(cl + 16));
    while (pending.size() < end + 4 + length) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return "(cut short) " + pending;
      pending.append(buf, static_cast<std::size_t>(n));
    }
    std::string r = pending.substr(0, end + 4 + length);
    pending.erase(0, end + 4 + length);
    return r;
  }

  /// True when the server closed the connection (recv gives 0 or a reset).
  static bool closed_by_server(int fd) {
    char c;
    return ::recv(fd, &c, 1, 0) <= 0;
  }

  /// What the server's descriptors are, its pipes left out: it opens none
  /// itself (its stdout is the test's), but under AddressSanitizer each new
  /// thread's runtime opens and closes pipes for a moment (strace shows
  /// pipe2 then close), and the server's threads may still be starting when
  /// it says it listens: counted then, they read as two descriptors lost.
  std::multiset<std::string> server_descriptors() const {
    std::multiset<std::string> open = switchyard::testing::open_descriptors(std::to_string(pid_));
    open.erase("pipe");
    return open;
  }

  /// Its exit status after `sig`, waited for at most 10 s (-1: still running).
  int stop_with(int sig) {
    ::kill(pid_, sig);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

  fs::path root_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(StaticServer, ServesFilesOverKeepAliveAndSaysWhatIsNotThere) {
  const int fd = connect_to();
  std::string pending;
  send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");  // pipelined
  const std::string a = read_response(fd, pending);
  EXPECT_EQ(a.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << a;
  EXPECT_NE(a.find("Content-Length: 6\r\n"), std::string::npos) << a;
  EXPECT_NE(a.find("Content-Type: text/plain\r\n"), std::string::npos) << a;
  EXPECT_EQ(a.substr(a.size() - 6), "alpha\n");
  const std::string home = read_response(fd, pending);
  EXPECT_NE(home.find("Content-Type: text/html"), std::string::npos) << home;
  EXPECT_EQ(home.substr(home.size() - 12), "<p>home</p>\n");
  send_text(fd, "HEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string head = read_response(fd, pending, true);
  EXPECT_NE(head.find("Content-Length: 6\r\n"), std::string::npos) << head;
  for (const char* missing : {"/nothing.html", "/sub", "/sub/"}) {
    send_text(fd, std::string("GET ") + missing + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string r = read_response(fd, pending);
    EXPECT_EQ(r.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << missing << ": " << r;
  }
  send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(read_response(fd, pending).rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_TRUE(closed_by_server(fd)) << "Connection: close";
  ::close(fd);
}

TEST_F(StaticServer, MalformedRequestsGetAClearStatusAndTheConnectionClosed) {
  const std::multiset<std::string> before = server_descriptors();
  const std::pair<std::string, std::string> cases[] = {
      {"GET /a.txt\r\n\r\n", "400"},
      {"GET  /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
      {"GET /a.txt HTTP/2.0\r\nHost: x\r\n\r\n", "505"},
      {"GET /a.txt HTTX/1.1\r\nHost: x\r\n\r\n", "400"},
      {"GET /a.txt HTTP/1.1\r\n\r\n", "400"},                          // no Host
      {"GET /a.txt HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "400"},
      {"GET /a.txt HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", "400"},
      {"GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", "400"},
      {std::string("GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n"), "400"},
      {"GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
      {"GET /sub/../a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
      {"GET /a%2etxt HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
      {"GET a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
      {"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "413"},
      {"PUT /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "405"},
      {"GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "413"},
      {"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", "431"},
  };
  for (const auto& [request, status] : cases) {
    const int fd = connect_to();
    send_text(fd, request);
    std::string pending;
    const std::string r = read_response(fd, pending);
    EXPECT_EQ(r.rfind("HTTP/1.1 " + status + " ", 0), 0u) << request.substr(0, 60) << " -> " << r.substr(0, 80);
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r.substr(0, 80);
    EXPECT_TRUE(closed_by_server(fd)) << request.substr(0, 60);
    ::close(fd);
  }
  // A head that never ends (no CRLF CRLF, more than 8 KiB) and one cut off.
  {
    const int fd = connect_to();
    send_text(fd, "GET /a.txt HTTP/1.1\r\n" + std::string(20000, 'x'));
    std::string pending;
    EXPECT_EQ(read_response(fd, pending).rfind("HTTP/1.1 431 ", 0), 0u);
    ::close(fd);
  }
  {
    const int fd = connect_to();
    send_text(fd, "GET /a.tx");
    ::close(fd);
  }
  // Still serving, and holding no descriptor for any of them.
  const int fd = connect_to();
  std::string pending;
  send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(read_response(fd, pending).rfind("HTTP/1.1 200", 0), 0u);
  ::close(fd);
  std::multiset<std::string> after;
  for (int i = 0; i < 500 && (after = server_descriptors()) != before; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(after, before) << "the server's descriptors, before and after";
}

TEST_F(StaticServer, AClientThatVanishesMidResponseCostsTheServerNothing) {
  const std::multiset<std::string> before = server_descriptors();
  for (int i = 0; i < 20; ++i) {
    const int fd = connect_to();
    send_text(fd, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[1024];
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
    const linger abort{1, 0};  // close sends RST, with most of 8 MiB unsent
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    ::close(fd);
  }
  const int fd = connect_to();
  std::string pending;
  send_text(fd, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string whole = read_response(fd, pending);
  EXPECT_EQ(whole.size(), whole.find("\r\n\r\n") + 4 + (8u << 20)) << "a whole response after the vanished ones";
  ::close(fd);
  std::multiset<std::string> after;
  for (int i = 0; i < 500 && (after = server_descriptors()) != before; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(after, before) << "the server's descriptors, before and after";
}

TEST_F(StaticServer, SigtermAndSigintStopItWithExitZeroEvenWithConnectionsOpen) {
  const int idle = connect_to();  // a keep-alive connection, idle
  EXPECT_EQ(stop_with(SIGTERM), 0);
  ::close(idle);
  fs::remove_all(root_);
  start({"--contexts", "2", "--port", "0"});
  const int another = connect_to();
  EXPECT_EQ(stop_with(SIGINT), 0);
  ::close(another);
}

TEST_F(StaticServer, TwoContextsServeManyConnections) {
  fs::remove_all(root_);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  start({"--contexts", "2"});
  for (int i = 0; i < 100; ++i) {
    const int fd = connect_to();
    std::string pending;
    send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(read_response(fd, pending).rfind("HTTP/1.1 200", 0), 0u) << i;
    ::close(fd);
  }
}

}  // namespace
