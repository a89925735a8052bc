// Checksums every file of a directory: the reads go through io::context and
// the hashing through offload, so reading one chunk overlaps hashing the one
// before it, and several files are in flight at once.
//
//   hash_files DIR          prints "<FNV-1a 64>  <file>" for each regular file
//   hash_files --self-test  hashes generated files both ways (through the
//                           context, and with plain reads) and compares
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <switchyard/io.hpp>

namespace io = switchyard::io;
using switchyard::task;

namespace {

constexpr std::size_t chunk_bytes = std::size_t{1} << 20;
constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;

std::uint64_t fnv1a(std::uint64_t h, const std::byte* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<std::uint64_t>(p[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// Reads chunk i+1 while chunk i is hashed on the compute side.
task<std::uint64_t> hash_file(io::context& ctx, std::string path) {
  io::file f = co_await io::file::open(ctx, path, O_RDONLY);
  const std::uint64_t size = f.size();
  std::vector<std::byte> current(chunk_bytes), next(chunk_bytes);
  std::uint64_t h = fnv_offset;
  std::size_t have = co_await f.read_at(current, 0);
  for (std::uint64_t offset = have; have > 0; offset += have) {
    auto hash = [&]() -> task<std::uint64_t> {
      co_return co_await io::offload(ctx, [&] { return fnv1a(h, current.data(), have); });
    };
    auto read = [&]() -> task<std::size_t> {
      co_return offset < size ? co_await f.read_at(next, offset) : 0;
    };
    std::size_t got;
    std::tie(h, got) = co_await io::when_all(hash(), read());
    std::swap(current, next);
    have = got;
  }
  co_await f.close();
  co_return h;
}

std::vector<std::string> regular_files(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) throw std::runtime_error("cannot open directory " + dir);
  while (dirent* e = readdir(d)) {
    const std::string path = dir + "/" + e->d_name;
    struct stat st{};
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) names.push_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

task<std::vector<std::uint64_t>> hash_all(io::context& ctx, const std::string& dir, const std::vector<std::string>& names) {
  io::limiter files_at_once(ctx, 4);
  std::vector<task<std::uint64_t>> jobs;
  for (const auto& n : names) jobs.push_back(files_at_once.run(hash_file(ctx, dir + "/" + n)));
  co_return co_await io::when_all(std::move(jobs));
}

std::uint64_t hash_plainly(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(chunk_bytes);
  std::uint64_t h = fnv_offset;
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    h = fnv1a(h, reinterpret_cast<const std::byte*>(buf.data()), static_cast<std::size_t>(in.gcount()));
  }
  return h;
}

int self_test() {
  char dir[] = "/tmp/switchyard-hash-files-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  const std::vector<std::size_t> sizes{0, 1, 4096, chunk_bytes - 1, chunk_bytes, chunk_bytes + 3, 5 * chunk_bytes + 77};
  std::uint64_t seed = 7;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    std::string bytes(sizes[k], '\0');
    for (char& c : bytes) c = static_cast<char>((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 56);
    std::ofstream(std::string(dir) + "/file-" + std::to_string(k), std::ios::binary) << bytes;
  }
  io::context ctx;
  const auto names = regular_files(dir);
  const auto hashes = ctx.run(hash_all(ctx, dir, names));
  bool agree = hashes.size() == names.size();
  for (std::size_t i = 0; agree && i < names.size(); ++i) agree = hashes[i] == hash_plainly(std::string(dir) + "/" + names[i]);
  for (const auto& n : names) ::unlink((std::string(dir) + "/" + n).c_str());
  ::rmdir(dir);
  std::printf("%zu files on %s: %s\n", names.size(), std::string(ctx.backend_name()).c_str(),
              agree ? "hashes agree" : "HASHES DIFFER");
  return agree ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 2 && std::string(argv[1]) == "--self-test") return self_test();
    if (argc != 2) {
      std::fprintf(stderr, "usage: hash_files DIR | --self-test\n");
      return 2;
    }
    io::context ctx;
    const auto names = regular_files(argv[1]);
    const auto hashes = ctx.run(hash_all(ctx, argv[1], names));
    for (std::size_t i = 0; i < names.size(); ++i) std::printf("%016" PRIx64 "  %s\n", hashes[i], names[i].c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hash_files: %s\n", e.what());
    return 1;
  }
}
