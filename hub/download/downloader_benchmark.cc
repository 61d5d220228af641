// Download throughput from nginx on 127.0.0.1, SHA-256 checked, for 1 MiB,
// 64 MiB and 1 GiB, over HTTPS and plain HTTP, into /dev/shm (memory) and
// onto disk ($HUB_BENCH_DISK_DIR, else $TEST_TMPDIR, else /var/tmp), progress off and on.
//
//   bazel run -c opt //hub/download:downloader_benchmark
//
// Arguments: size in MiB, tls (0/1), destination (0 /dev/shm, 1 disk),
// progress (0 off, 1 a redrawn bar into a discarded stream).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "hub/base/test_dirs.h"
#include "hub/download/downloader.h"
#include "hub/hash/sha256.h"
#include "tests/servers/nginx_server.h"

namespace {

using ::hub::testing::NginxServer;

class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

struct Served {
  std::string dir;
  std::map<int, std::string> sha256;  // by size in MiB
  std::unique_ptr<NginxServer> https;
  std::unique_ptr<NginxServer> http;
};

Served* GetServed() {
  static Served* served = [] {
    auto* s = new Served;
    char tmpl[] = "/dev/shm/torchhub-bench-XXXXXX";
    s->dir = ::mkdtemp(tmpl);
    s->https = *NginxServer::Start({.root = s->dir, .tls = true});
    s->http = *NginxServer::Start({.root = s->dir, .tls = false});
    return s;
  }();
  return served;
}

// The served file of `mib` MiB, made on first use (random bytes).
const std::string& FileSha(int mib) {
  Served* s = GetServed();
  auto it = s->sha256.find(mib);
  if (it != s->sha256.end()) return it->second;
  const std::string path = absl::StrCat(s->dir, "/", mib, "M.bin");
  if (!hub::testing::WriteRandomFile(path, int64_t{mib} << 20, mib)) std::abort();
  return s->sha256[mib] = hub::Sha256FileHex(path).value();
}

void BM_Download(benchmark::State& state) {
  const int mib = static_cast<int>(state.range(0));
  const bool tls = state.range(1) != 0;
  const bool disk = state.range(2) != 0;
  const bool progress = state.range(3) != 0;
  const std::string sha = FileSha(mib);
  Served* s = GetServed();
  const NginxServer& server = tls ? *s->https : *s->http;
  const char* disk_dir = std::getenv("HUB_BENCH_DISK_DIR");
  if (disk_dir == nullptr) disk_dir = std::getenv("TEST_TMPDIR");  // under bazel test
  const std::string dst =
      absl::StrCat(disk ? (disk_dir != nullptr ? disk_dir : "/var/tmp") : "/dev/shm",
                   "/torchhub-bench-", ::getpid(), ".bin");
  NullBuffer null_buffer;
  std::ostream null_stream(&null_buffer);
  hub::DownloadOptions options;
  options.hash_prefix = sha.substr(0, 16);
  options.progress = progress;
  options.progress_stream = &null_stream;
  options.progress_is_terminal = true;
  options.ca_file = server.ca_file();
  const std::string url = server.Url(absl::StrCat("/", mib, "M.bin"));
  for (auto _ : state) {
    absl::StatusOr<hub::DownloadResult> r = hub::DownloadUrlToFile(url, dst, options);
    if (!r.ok()) {
      // A benchmark that can't download is broken: fail loudly, smoke test included.
      std::cerr << "BM_Download: " << r.status() << "\n";
      std::exit(1);
    }
    state.PauseTiming();
    ::unlink(dst.c_str());
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * (int64_t{mib} << 20));
  state.SetLabel(
      absl::StrCat(tls ? "https" : "http", disk ? " disk" : " shm", progress ? " progress" : ""));
}
BENCHMARK(BM_Download)
    ->ArgNames({"MiB", "tls", "disk", "progress"})
    ->ArgsProduct({{1, 64, 1024}, {1, 0}, {0, 1}, {0}})
    ->Args({1024, 1, 0, 1})
    ->Args({64, 1, 0, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
