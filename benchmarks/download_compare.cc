// One run, every contender, three settings: torchhub-cpp's `torchhub
// download` (SHA-256 checked) against the curl CLI, aria2c, the verified
// shell equivalent and Python's torch.hub, with the ratios issue 18 sets.
//
//   benchmarks/compare_download.sh [--mib 512] [--capped-mib 128] [--reps 5]
//                                  [--rate 32m] [--disk-dir /var/tmp] [--only capped|uncapped|disk]
//
// Settings (one nginx over HTTPS on 127.0.0.1 each, one random file):
//   capped    nginx sends each connection at most --rate (limit_rate), as
//             CDNs and object stores do; into /dev/shm. curl (one
//             connection, no hash), aria2c -x8 -s8 (no hash), ours.
//   uncapped  no limit; into /dev/shm. curl (no hash, beside), curl -o then
//             openssl dgst -sha256 (the verified shell equivalent: the bar),
//             a /usr/bin/python3 -c process running torch.hub's
//             download_url_to_file with hash_prefix (whole process, import
//             torch included), ours, ours over one connection.
//   disk      no limit; onto --disk-dir. curl (no fsync), curl then sync
//             (fsync), ours (fsync before the rename, as always).
// Whole commands are timed (process start included). Each setting's
// contenders run in rotating order; the median of --reps is reported.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "hub/base/test_dirs.h"
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
import sys
import torch.hub as hub
hub.download_url_to_file(sys.argv[1], sys.argv[2], hash_prefix=sys.argv[3], progress=False)
)";

// `mib` MiB of random bytes at `path`; returns their SHA-256.
std::string MakeFile(const std::string& path, int mib) {
  if (!hub::testing::WriteRandomFile(path, int64_t{mib} << 20, 42)) Die("could not write " + path);
  absl::StatusOr<std::string> sha = hub::Sha256FileHex(path);
  if (!sha.ok()) Die(std::string(sha.status().message()));
  return *sha;
}

struct Contender {
  std::string name;
  std::vector<std::string> argv;
};

struct Setting {
  std::string name;
  std::string description;
  std::string dst_dir;
  int mib = 0;
  std::vector<Contender> contenders;
  std::map<std::string, double> median;  // seconds
};

void Run(Setting& s, const std::string& dst, const std::string& sha, int reps) {
  std::map<std::string, std::vector<double>> seconds;
  for (int rep = 0; rep < reps; ++rep) {
    // Rotate the order so no contender always runs first (or last).
    for (size_t k = 0; k < s.contenders.size(); ++k) {
      const Contender& c = s.contenders[(k + static_cast<size_t>(rep)) % s.contenders.size()];
      ::unlink(dst.c_str());
      ::sync();
      const absl::Time start = absl::Now();
      absl::StatusOr<CommandResult> r = RunCommand(c.argv, {.separate_stderr = true});
      const double wall = absl::ToDoubleSeconds(absl::Now() - start);
      if (!r.ok() || r->exit_code != 0) {
        Die(absl::StrCat(s.name, ": ", c.name, " failed: ",
                         r.ok() ? r->output + r->error_output : r.status().ToString()));
      }
      absl::StatusOr<std::string> got = hub::Sha256FileHex(dst);
      if (!got.ok() || *got != sha) Die(absl::StrCat(s.name, ": ", c.name, " made a wrong file"));
      seconds[c.name].push_back(wall);
    }
  }
  ::unlink(dst.c_str());
  std::cout << absl::StrFormat("\n== %s: %d MiB, %s, median of %d\n", s.name, s.mib, s.description,
                               reps);
  std::cout << absl::StrFormat("%-44s %9s %9s\n", "contender", "seconds", "MiB/s");
  for (const Contender& c : s.contenders) {
    const double m = Median(seconds[c.name]);
    s.median[c.name] = m;
    std::cout << absl::StrFormat("%-44s %9.3f %9.1f\n", c.name, m, s.mib / m);
  }
}

void Ratio(const Setting& s, const std::string& ours, const std::string& other, double target) {
  const double a = s.median.at(ours);
  const double b = s.median.at(other);
  const double ratio = b / a;
  std::cout << absl::StrFormat("%s / %s throughput: %.2fx", ours, other, ratio);
  if (target > 0) {
    std::cout << absl::StrFormat(" (target >= %.1fx: %s)", target,
                                 ratio >= target ? "met" : "NOT met");
  }
  std::cout << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  int mib = 512;
  int capped_mib = 128;
  int reps = 5;
  std::string rate = "32m";
  std::string disk_dir = "/var/tmp";
  std::string only;
  std::string torchhub;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--mib") {
      if (!absl::SimpleAtoi(value(), &mib) || mib < 1) Die("--mib wants a positive number");
    } else if (a == "--capped-mib") {
      if (!absl::SimpleAtoi(value(), &capped_mib) || capped_mib < 1) {
        Die("--capped-mib wants a positive number");
      }
    } else if (a == "--reps") {
      if (!absl::SimpleAtoi(value(), &reps) || reps < 1) Die("--reps wants a positive number");
    } else if (a == "--rate") {
      rate = value();
    } else if (a == "--disk-dir") {
      disk_dir = value();
    } else if (a == "--only") {
      only = value();
      if (only != "capped" && only != "uncapped" && only != "disk") {
        Die("--only wants capped, uncapped or disk");
      }
    } else if (a == "--torchhub") {
      torchhub = value();
    } else {
      Die("unknown argument " + a);
    }
  }
  if (torchhub.empty()) Die("--torchhub PATH is required");
  const bool want_capped = only.empty() || only == "capped";
  if (want_capped && !RunCommand({"sh", "-c", "command -v aria2c"}).ok()) {
    Die("aria2c is missing: install Debian's aria2 (tools/setup.sh)");
  }

  char tmpl[] = "/dev/shm/torchhub-compare-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  const std::string root = tmpl;
  const std::string sha = MakeFile(root + "/big.bin", mib);
  const std::string capped_sha =
      capped_mib == mib ? sha : MakeFile(root + "/capped.bin", capped_mib);
  absl::StatusOr<std::unique_ptr<NginxServer>> server = NginxServer::Start({.root = root});
  if (!server.ok()) Die(server.status().ToString());
  absl::StatusOr<std::unique_ptr<NginxServer>> capped_server = NginxServer::Start(
      {.root = root, .extra_server_config = absl::StrCat("limit_rate ", rate, ";")});
  if (!capped_server.ok()) Die(capped_server.status().ToString());

  // Each server has its own certificate: the one in use while a setting's
  // commands are made.
  std::string ca = (*capped_server)->ca_file();
  const std::string url = (*server)->Url("/big.bin");
  const std::string capped_url =
      (*capped_server)->Url(capped_mib == mib ? "/big.bin" : "/capped.bin");
  const std::string pid = absl::StrCat(::getpid());
  const std::string shm_dst = absl::StrCat("/dev/shm/torchhub-compare-", pid, ".bin");
  const std::string disk_dst = absl::StrCat(disk_dir, "/torchhub-compare-", pid, ".bin");

  auto curl = [&](const std::string& u, const std::string& dst) {
    return std::vector<std::string>{"curl", "-sS", "--fail", "--cacert", ca, "-o", dst, u};
  };
  auto ours = [&](const std::string& u, const std::string& dst, const std::string& s,
                  const std::string& connections) {
    std::vector<std::string> a = {"env", "SSL_CERT_FILE=" + ca, "CURL_CA_BUNDLE=" + ca};
    if (!connections.empty()) a.push_back("TORCHHUB_DOWNLOAD_CONNECTIONS=" + connections);
    for (const std::string& x :
         {torchhub, std::string("download"), u, dst, std::string("--hash-prefix"), s.substr(0, 16),
          std::string("--no-progress")}) {
      a.push_back(x);
    }
    return a;
  };
  // Shell: download, then check the digest's start, as a script would.
  auto shell = [&](const std::string& u, const std::string& dst, const std::string& s,
                   const std::string& check) {
    return std::vector<std::string>{"sh",
                                    "-c",
                                    "curl -sS --fail --cacert \"$1\" -o \"$2\" \"$3\" && " + check,
                                    "sh",
                                    ca,
                                    dst,
                                    u,
                                    s.substr(0, 16)};
  };
  const std::string dgst = "openssl dgst -sha256 -r \"$2\" | grep -q \"^$4\"";

  std::vector<Setting> settings;
  if (want_capped) {
    Setting s{
        "capped",
        absl::StrCat("HTTPS, nginx limit_rate ", rate, " per connection, into /dev/shm"),
        "/dev/shm",
        capped_mib,
        {{"curl, no hash", curl(capped_url, shm_dst)},
         {"aria2c -x8 -s8, no hash",
          {"aria2c", "-q", "-x8", "-s8", "--min-split-size=1M", "--file-allocation=none",
           "--allow-overwrite=true", "--auto-file-renaming=false", "--ca-certificate=" + ca, "-d",
           "/dev/shm", "-o", absl::StrCat("torchhub-compare-", pid, ".bin"), capped_url}},
         {"torchhub, SHA-256", ours(capped_url, shm_dst, capped_sha, "")}},
        {}};
    Run(s, shm_dst, capped_sha, reps);
    Ratio(s, "torchhub, SHA-256", "curl, no hash", 4.0);
    Ratio(s, "torchhub, SHA-256", "aria2c -x8 -s8, no hash", 1.0);
    settings.push_back(s);
  }
  ca = (*server)->ca_file();
  if (only.empty() || only == "uncapped") {
    Setting s{"uncapped",
              "HTTPS, no limit, into /dev/shm",
              "/dev/shm",
              mib,
              {{"curl, no hash", curl(url, shm_dst)},
               {"curl -o, then openssl dgst -sha256", shell(url, shm_dst, sha, dgst)},
               {"python3 -c torch.hub, hash_prefix",
                {"env", "SSL_CERT_FILE=" + ca, "/usr/bin/python3", "-c", kPython, url, shm_dst,
                 sha.substr(0, 16)}},
               {"torchhub, SHA-256", ours(url, shm_dst, sha, "")},
               {"torchhub, SHA-256, 1 connection", ours(url, shm_dst, sha, "1")}},
              {}};
    Run(s, shm_dst, sha, reps);
    Ratio(s, "torchhub, SHA-256", "curl -o, then openssl dgst -sha256", 1.2);
    Ratio(s, "torchhub, SHA-256", "python3 -c torch.hub, hash_prefix", 2.0);
    Ratio(s, "torchhub, SHA-256", "curl, no hash", 0);
    Ratio(s, "torchhub, SHA-256, 1 connection", "curl -o, then openssl dgst -sha256", 0);
    settings.push_back(s);
  }
  if (only.empty() || only == "disk") {
    Setting s{"disk",
              absl::StrCat("HTTPS, no limit, onto ", disk_dir),
              disk_dir,
              mib,
              {{"curl, no hash, no fsync", curl(url, disk_dst)},
               {"curl, then sync (fsync)", shell(url, disk_dst, sha, "sync \"$2\"")},
               {"torchhub, SHA-256, fsync", ours(url, disk_dst, sha, "")},
               {"torchhub, SHA-256, fsync, 1 connection", ours(url, disk_dst, sha, "1")}},
              {}};
    Run(s, disk_dst, sha, reps);
    Ratio(s, "torchhub, SHA-256, fsync", "curl, no hash, no fsync", 0.9);
    Ratio(s, "torchhub, SHA-256, fsync", "curl, then sync (fsync)", 0);
    Ratio(s, "torchhub, SHA-256, fsync, 1 connection", "curl, no hash, no fsync", 0);
    settings.push_back(s);
  }
  server->reset();
  capped_server->reset();
  RunCommand({"rm", "-rf", root}).IgnoreError();
  return 0;
}
