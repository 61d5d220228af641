// One run, one server, one file: torchhub-cpp's `torchhub download` (SHA-256
// checked) against the curl CLI (no hash) and Python's
// torch.hub.download_url_to_file (with hash_prefix), with the ratios.
//
//   benchmarks/compare_download.sh [--mib 1024] [--reps 5] [--dst-dir /dev/shm] [--http]
//
// Whole commands are timed for ours and curl's (process start included,
// a few ms); torch.hub's is timed inside Python around the call, so that
// `import torch` (about 1.6 s) is not counted against it.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "hub/hash/sha256.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::NginxServer;
using ::hub::testing::RunCommand;

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "download_compare: " << message << "\n";
  std::exit(1);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

constexpr char kPython[] = R"(
import sys, time
import torch.hub as hub
url, dst, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
hub.download_url_to_file(url, dst, hash_prefix=prefix or None, progress=False)
print(time.perf_counter() - start)
)";

}  // namespace

int main(int argc, char** argv) {
  int mib = 1024;
  int reps = 5;
  std::string dst_dir = "/dev/shm";
  std::string torchhub;
  bool tls = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--mib") {
      if (!absl::SimpleAtoi(value(), &mib) || mib < 1) Die("--mib wants a positive number");
    } else if (a == "--reps") {
      if (!absl::SimpleAtoi(value(), &reps) || reps < 1) Die("--reps wants a positive number");
    } else if (a == "--dst-dir") {
      dst_dir = value();
    } else if (a == "--torchhub") {
      torchhub = value();
    } else if (a == "--http") {
      tls = false;
    } else {
      Die("unknown argument " + a);
    }
  }
  if (torchhub.empty()) Die("--torchhub PATH is required");

  // The served file: random bytes in memory.
  char tmpl[] = "/dev/shm/torchhub-compare-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  const std::string root = tmpl;
  std::string sha;
  {
    std::mt19937_64 rng(42);  // NOLINT(cert-msc51-cpp): the same file every run
    std::string chunk(1 << 20, '\0');
    hub::Sha256 hasher;
    std::ofstream out(root + "/big.bin", std::ios::binary);
    for (int i = 0; i < mib; ++i) {
      for (size_t j = 0; j < chunk.size(); j += 8) {
        const uint64_t v = rng();
        std::memcpy(&chunk[j], &v, 8);
      }
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      hasher.Update(chunk);
    }
    sha = hasher.HexDigest();
  }
  absl::StatusOr<std::unique_ptr<NginxServer>> server =
      NginxServer::Start({.root = root, .tls = tls});
  if (!server.ok()) Die(server.status().ToString());
  const std::string url = (*server)->Url("/big.bin");
  const std::string ca = (*server)->ca_file();
  const std::string dst = absl::StrCat(dst_dir, "/torchhub-compare-", ::getpid(), ".bin");
  const std::string prefix = sha.substr(0, 16);
  const std::string ca_path = ca.empty() ? "/dev/null" : ca;
  const std::string ca_env = absl::StrCat("SSL_CERT_FILE=", ca_path);
  const std::string curl_ca_env = absl::StrCat("CURL_CA_BUNDLE=", ca_path);

  struct Contender {
    std::string name;
    std::vector<std::string> argv;
    bool python = false;
  };
  std::vector<Contender> contenders = {
      {"curl CLI, no hash",
       tls ? std::vector<std::string>{"curl", "-sS", "--fail", "--cacert", ca, "-o", dst, url}
           : std::vector<std::string>{"curl", "-sS", "--fail", "-o", dst, url}},
      {"torchhub download, SHA-256",
       {"env", ca_env, curl_ca_env, torchhub, "download", url, dst, "--hash-prefix", prefix,
        "--no-progress"}},
      {"torchhub download, SHA-256, progress",
       {"env", ca_env, curl_ca_env, torchhub, "download", url, dst, "--hash-prefix", prefix}},
      {"torch.hub, hash_prefix",
       {"env", ca_env, "/usr/bin/python3", "-c", kPython, url, dst, prefix},
       true},
      {"torch.hub, no hash",
       {"env", ca_env, "/usr/bin/python3", "-c", kPython, url, dst, ""},
       true},
  };
  std::map<std::string, std::vector<double>> seconds;
  for (int rep = 0; rep < reps; ++rep) {
    // Rotate the order so no contender always runs first (or last).
    for (size_t k = 0; k < contenders.size(); ++k) {
      const Contender& c = contenders[(k + static_cast<size_t>(rep)) % contenders.size()];
      ::unlink(dst.c_str());
      ::sync();
      const absl::Time start = absl::Now();
      absl::StatusOr<CommandResult> r = RunCommand(c.argv, {.separate_stderr = true});
      const double wall = absl::ToDoubleSeconds(absl::Now() - start);
      if (!r.ok() || r->exit_code != 0) {
        Die(absl::StrCat(
            c.name, " failed: ", r.ok() ? r->output + r->error_output : r.status().ToString()));
      }
      double s = wall;
      if (c.python && !absl::SimpleAtod(r->output, &s)) Die("python printed " + r->output);
      absl::StatusOr<std::string> got = hub::Sha256FileHex(dst);
      if (!got.ok() || *got != sha) Die(c.name + " produced a wrong file");
      seconds[c.name].push_back(s);
    }
  }
  ::unlink(dst.c_str());

  const double ours = Median(seconds["torchhub download, SHA-256"]);
  const double ours_progress = Median(seconds["torchhub download, SHA-256, progress"]);
  const double curl = Median(seconds["curl CLI, no hash"]);
  const double py_hash = Median(seconds["torch.hub, hash_prefix"]);
  std::cout << absl::StrFormat("%d MiB over %s from nginx on 127.0.0.1 into %s, median of %d\n\n",
                               mib, tls ? "HTTPS" : "HTTP", dst_dir, reps);
  std::cout << absl::StrFormat("%-40s %10s %12s\n", "contender", "seconds", "MiB/s");
  for (const Contender& c : contenders) {
    const double m = Median(seconds[c.name]);
    std::cout << absl::StrFormat("%-40s %10.3f %12.1f\n", c.name, m, mib / m);
  }
  std::cout << absl::StrFormat(
      "\nours (hash checked) / curl (no hash) throughput: %.2fx (target >= 0.9x)\n"
      "ours with progress / curl throughput:            %.2fx\n"
      "ours / torch.hub (both hash checked):            %.2fx (target >= 2.5x)\n"
      "ours with progress / torch.hub:                  %.2fx\n",
      curl / ours, curl / ours_progress, py_hash / ours, py_hash / ours_progress);
  return 0;
}
