// Runs io::context in a process where io_uring_setup fails, as it does under
// a seccomp policy that forbids it (Docker's default, for one): a seccomp
// filter makes the call return EPERM or ENOSYS (argv[1]: "eperm" | "enosys").
// Prints the backend's name and reason, and the result of a timer, a file
// read and a loopback round trip on it; exit 0 when they all worked.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

#include <switchyard/error.hpp>
#include <switchyard/io.hpp>

namespace io = switchyard::io;
using switchyard::task;

namespace {

bool forbid_io_uring_setup(int err) {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

task<bool> exercise(io::context& ctx) {
  co_await io::sleep_for(ctx, std::chrono::milliseconds(1));
  io::file f = co_await io::file::open(ctx, "/proc/self/exe", O_RDONLY);
  std::byte elf[4];
  co_await f.read_exact_at(elf, 0);
  co_await f.close();
  io::socket l = io::socket::listen(ctx);
  const auto port = l.local_port();
  auto server = [](io::socket listener) -> task<void> {
    io::socket peer = co_await listener.accept();
    std::byte b[3];
    co_await peer.recv_exact(b);
    co_await peer.send_all(b);
  };
  ctx.spawn(server(std::move(l)));
  io::socket s = co_await io::socket::connect(ctx, "127.0.0.1", port);
  const std::string hi = "hi!";
  co_await s.send_all(std::as_bytes(std::span(hi)));
  std::string back(3, '\0');
  co_await s.recv_exact(std::as_writable_bytes(std::span(back)));
  co_return elf[1] == std::byte{'E'} && back == hi;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string how = argc > 1 ? argv[1] : "enosys";
  if (!forbid_io_uring_setup(how == "eperm" ? EPERM : ENOSYS)) {
    std::printf("cannot install the seccomp filter: %s\n", std::strerror(errno));
    return 2;
  }
  try {
    io::context ctx;
    std::printf("backend %s (%s)\n", std::string(ctx.backend_name()).c_str(), std::string(ctx.backend_reason()).c_str());
    const bool ok = ctx.run(exercise(ctx));
    std::printf("operations %s\n", ok ? "work" : "FAILED");
    return ok ? 0 : 1;
  } catch (const switchyard::error& e) {
    std::printf("error %d: %s\n", e.code().value(), e.what());
    return 3;
  }
}
