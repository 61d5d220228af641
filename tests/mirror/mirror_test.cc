// The cluster mirror (tools/mirror/nginx-mirror.conf) as shipped: an origin
// nginx serving weights slowly, a mirror nginx whose configuration is that
// file with its placeholders filled in, and many downloads through the
// mirror at once. The point of the mirror is the origin's access log: one
// GET however many nodes ask, none once it is cached.
#include <curl/curl.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_macros.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/download/downloader.h"
#include "hub/hash/sha256.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::MakeSelfSignedCertificate;
using ::hub::testing::NginxServer;
using ::hub::testing::RandomBytes;
using ::hub::testing::ReadTestFile;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::HasSubstr;

constexpr int kNodes = 8;

// 1 MiB/s per connection: a 3 MiB file takes the origin 3 s, so the mirror's
// upstream fetch is still running when every node has asked. And GitHub's
// archive redirect: github.com/{owner}/{name}/zipball/{ref} answers 302 to
// codeload.github.com (this same server here).
constexpr char kOriginConfig[] = R"(
  limit_rate 1m;
  location ~ ^/([^/]+)/([^/]+)/zipball/(.+)$ {
    return 302 http://$http_host/$1/$2/zip/$3;
  }
)";

// The mirror's test log in its log directory, one line per request:
// "$request $upstream_cache_status $msec $request_time".
constexpr char kTimingLog[] = "test-timing.log";

// A request as an nginx log line ending in "$msec $request_time" records
// it: when it began and ended on nginx's clock, in milliseconds.
struct Timed {
  std::string line;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

// nginx's "SECONDS.MMM" in milliseconds, or -1.
int64_t Millis(absl::string_view seconds) {
  int64_t ms = 0;
  if (seconds.size() < 5 || seconds[seconds.size() - 4] != '.' ||
      !absl::SimpleAtoi(absl::StrReplaceAll(seconds, {{".", ""}}), &ms)) {
    return -1;
  }
  return ms;
}

// The lines of `log` that start with `prefix`, in order, with their times.
std::vector<Timed> TimedLines(absl::string_view log, absl::string_view prefix) {
  std::vector<Timed> out;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, prefix)) continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    Timed t{.line = std::string(line)};
    const int64_t end = fields.size() >= 2 ? Millis(fields[fields.size() - 2]) : -1;
    const int64_t took = end >= 0 ? Millis(fields.back()) : -1;
    if (took >= 0) {  // else both stay 0, which no request has
      t.end_ms = end;
      t.start_ms = end - took;
    }
    out.push_back(std::move(t));
  }
  return out;
}

// The first "@NAME@" (capitals and '_') outside a comment, or "".
std::string LeftoverPlaceholder(absl::string_view config) {
  for (absl::string_view line : absl::StrSplit(config, '\n')) {
    line = line.substr(0, line.find('#'));
    for (size_t at = line.find('@'); at != absl::string_view::npos; at = line.find('@', at + 1)) {
      size_t end = at + 1;
      while (end < line.size() &&
             (std::isupper(static_cast<unsigned char>(line[end])) != 0 || line[end] == '_')) {
        ++end;
      }
      if (end > at + 1 && end < line.size() && line[end] == '@') {
        return std::string(line.substr(at, end - at + 1));
      }
    }
  }
  return "";
}

// tools/mirror/nginx-mirror.conf with every placeholder filled in: the
// mirror on 127.0.0.1:`port` over TLS, all four origins at `origin`, whose
// certificate (for an https:// origin) `upstream_ca` must verify. The tests'
// own access log, kTimingLog in `log_dir`, is added beside the shipped one.
absl::StatusOr<std::string> MirrorConfig(int port, const std::string& origin,
                                         const std::string& upstream_ca, const std::string& tls_dir,
                                         const std::string& cache_dir, const std::string& log_dir) {
  const std::string shipped =
      ReadTestFile(hub::testing::RunfilePath("tools/mirror/nginx-mirror.conf"));
  if (!absl::StrContains(shipped, "proxy_cache_lock on;")) {
    return absl::NotFoundError("tools/mirror/nginx-mirror.conf is missing or has no cache lock");
  }
  // A second access log for the tests, beside the shipped one: what the
  // cache did and nginx's own clock ($msec when the request ended,
  // $request_time since it began), so the overlap of concurrent requests is
  // shown by the servers, not by the test's clock.
  constexpr absl::string_view kShippedLog =
      "access_log @LOG_DIR@/torchhub-mirror.access.log torchhub_mirror;";
  if (!absl::StrContains(shipped, kShippedLog)) {
    return absl::NotFoundError(
        absl::StrCat("tools/mirror/nginx-mirror.conf has no \"", kShippedLog, "\""));
  }
  const std::string with_timing_log = absl::StrCat(
      "log_format test_timing '$request $upstream_cache_status $msec $request_time';\n",
      absl::StrReplaceAll(shipped,
                          {{kShippedLog, absl::StrCat(kShippedLog, " access_log ", log_dir, "/",
                                                      kTimingLog, " test_timing;")}}));
  std::string config =
      absl::StrReplaceAll(with_timing_log, {{"@LISTEN@", absl::StrCat("127.0.0.1:", port, " ssl")},
                                            {"@SERVER_NAME@", "127.0.0.1 localhost"},
                                            {"@TLS_CERT@", tls_dir + "/cert.pem"},
                                            {"@TLS_KEY@", tls_dir + "/key.pem"},
                                            {"@CACHE_DIR@", cache_dir},
                                            {"@LOG_DIR@", log_dir},
                                            {"@UPSTREAM_CA@", upstream_ca},
                                            {"@PYTORCH_ORIGIN@", origin},
                                            {"@GITHUB_ORIGIN@", origin},
                                            {"@CODELOAD_ORIGIN@", origin},
                                            {"@GITHUB_API_ORIGIN@", origin}});
  if (std::string left = LeftoverPlaceholder(config); !left.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the test does not fill in ", left, " of nginx-mirror.conf"));
  }
  return config;
}

struct Response {
  long code = 0;  // NOLINT(google-runtime-int): curl reports codes as long
  std::string body;
  std::string headers;
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// A GET with libcurl, trusting `ca_file`, with optional extra headers.
Response Get(const std::string& url, const std::string& ca_file,
             const std::vector<std::string>& headers = {}) {
  Response r;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.code);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

// The value of header `name` (case-insensitive) in raw response headers.
std::string Header(absl::string_view headers, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::EqualsIgnoreCase(line.substr(0, colon), name)) {
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "";
}

struct Mirror {
  std::unique_ptr<NginxServer> server;
  std::string base_url;  // https://127.0.0.1:PORT
};

// An nginx running the shipped mirror config in front of `origin`, with its
// own certificate from `tls_dir` and its logs in `log_dir`.
absl::StatusOr<Mirror> StartMirror(const std::string& origin, const std::string& upstream_ca,
                                   const std::string& tls_dir, const std::string& log_dir,
                                   const std::string& name) {
  const std::string cache_dir = TestDir(name + "-cache");
  // The mirror's own server {} listens on a port picked here; one taken
  // in between makes nginx fail to start, so try a few.
  absl::Status last = absl::UnknownError("not started");
  for (int attempt = 0; attempt < 3; ++attempt) {
    HUB_ASSIGN_OR_RETURN(const int port, hub::testing::PickFreePort());
    HUB_ASSIGN_OR_RETURN(const std::string config,
                         MirrorConfig(port, origin, upstream_ca, tls_dir, cache_dir, log_dir));
    absl::StatusOr<std::unique_ptr<NginxServer>> server = NginxServer::Start(
        {.root = TestDir(name + "-root"), .tls = false, .extra_http_config = config});
    if (server.ok()) return Mirror{*std::move(server), absl::StrCat("https://127.0.0.1:", port)};
    last = server.status();
  }
  return last;
}

class MirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_root_ = TestDir("origin");
    HUB_ASSERT_OK_AND_ASSIGN(
        origin_, NginxServer::Start(
                     {.root = origin_root_, .tls = false, .extra_server_config = kOriginConfig}));
    const std::string tls_dir = TestDir("mirror-tls");
    HUB_ASSERT_OK_AND_ASSIGN(ca_file_, MakeSelfSignedCertificate(tls_dir));
    mirror_log_dir_ = TestDir("mirror-logs");
    // A plain-HTTP origin: any PEM file will do as its CA.
    HUB_ASSERT_OK_AND_ASSIGN(Mirror mirror, StartMirror(origin_->base_url(), ca_file_, tls_dir,
                                                        mirror_log_dir_, "mirror"));
    mirror_ = std::move(mirror.server);
    mirror_base_ = mirror.base_url;
  }

  // A weight file of `size` bytes at the origin's /models/<name>; returns
  // its URL through the mirror, as a node would rewrite
  // https://download.pytorch.org/models/<name>.
  std::string PublishWeights(const std::string& name, const std::string& data) {
    WriteTestFile(origin_root_ + "/models/" + name, data);
    return absl::StrCat(mirror_base_, "/download.pytorch.org/models/", name);
  }

  // How many GETs of `path` reached the origin.
  int OriginGetsOf(const std::string& path) const {
    int n = 0;
    for (absl::string_view line : absl::StrSplit(origin_->ReadAccessLog(), '\n')) {
      if (absl::StartsWith(line, absl::StrCat("GET ", path, " "))) ++n;
    }
    return n;
  }
  // How many GETs of /models/<name> reached the origin.
  int OriginGets(const std::string& name) const { return OriginGetsOf("/models/" + name); }

  // The origin's access log once it has a line containing `text`, or as it
  // is after 20 s. nginx logs a request when it ends, and a mirror answering
  // a range from a cold cache sends the range before the origin's whole
  // answer (and so its log line) is done.
  std::string OriginLogOnce(absl::string_view text) const {
    std::string log = origin_->ReadAccessLog();
    for (int i = 0; i < 200 && !absl::StrContains(log, text); ++i) {
      absl::SleepFor(absl::Milliseconds(100));
      log = origin_->ReadAccessLog();
    }
    return log;
  }

  // kNodes downloads of `url` at once, each to its own file, as kNodes
  // machines with their own hub dirs would. Returns the files' SHA-256s
  // ("" for a failed download).
  std::vector<std::string> DownloadFromAllNodes(const std::string& url, const std::string& round) {
    std::vector<absl::StatusOr<DownloadResult>> results(kNodes, absl::UnknownError("not run"));
    std::vector<std::string> dsts;
    dsts.reserve(kNodes);
    for (int i = 0; i < kNodes; ++i) {
      dsts.push_back(TestDir(absl::StrCat(round, "-node", i)) + "/weights.pth");
    }
    std::vector<std::thread> nodes;
    nodes.reserve(kNodes);
    for (int i = 0; i < kNodes; ++i) {
      nodes.emplace_back([&, i] {
        DownloadOptions options;
        options.progress = false;
        options.ca_file = ca_file_;
        options.max_attempts = 1;  // a retry would hide a failed request
        results[i] = DownloadUrlToFile(url, dsts[i], options);
      });
    }
    for (std::thread& t : nodes) t.join();
    std::vector<std::string> digests;
    digests.reserve(kNodes);
    for (int i = 0; i < kNodes; ++i) {
      EXPECT_THAT(results[i].status(), IsOk()) << "node " << i;
      digests.push_back(results[i].ok() ? Sha256Hex(ReadTestFile(dsts[i])) : "");
    }
    return digests;
  }

  std::string origin_root_;
  std::unique_ptr<NginxServer> origin_;
  std::string ca_file_;
  std::string mirror_log_dir_;
  std::unique_ptr<NginxServer> mirror_;
  std::string mirror_base_;
};

TEST_F(MirrorTest, ManyNodesAtOnceMakeOneOriginRequest) {
  const std::string data = RandomBytes(3 << 20, 1);
  const std::string url = PublishWeights("resnet-3mib.pth", data);
  const std::vector<std::string> want(kNodes, Sha256Hex(data));

  EXPECT_EQ(DownloadFromAllNodes(url, "cold"), want);
  EXPECT_EQ(OriginGets("resnet-3mib.pth"), 1) << origin_->ReadAccessLog();
  // One origin GET proves the lock only if the nodes' requests overlapped
  // it; one after another they would also make one GET, from a warm cache.
  // The servers' own logs show the overlap: every node's request had reached
  // the mirror before the origin finished sending the file (the origin's
  // rate limit holds it open for seconds, but no bound on that is asked).
  // Both nginx stamp with the system clock; a node that came after the
  // origin's GET ended cannot have an earlier start than its end.
  const std::vector<Timed> upstream =
      TimedLines(origin_->ReadAccessLog(), "GET /models/resnet-3mib.pth ");
  ASSERT_EQ(upstream.size(), 1u);
  const std::vector<Timed> cold = TimedLines(ReadTestFile(mirror_log_dir_ + "/" + kTimingLog),
                                             "GET /download.pytorch.org/models/resnet-3mib.pth ");
  ASSERT_GE(cold.size(), static_cast<size_t>(kNodes));
  int misses = 0;
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_GT(cold[i].start_ms, 0) << cold[i].line;
    EXPECT_LT(cold[i].start_ms, upstream[0].end_ms)
        << "a node asked the mirror only after the origin's one GET ended: " << cold[i].line
        << " vs origin " << upstream[0].line;
    if (absl::StrContains(cold[i].line, " MISS ")) ++misses;
  }
  // And exactly one of them was the cache miss that went upstream.
  EXPECT_EQ(misses, 1) << ReadTestFile(mirror_log_dir_ + "/" + kTimingLog);

  // Later nodes: served from the cache, the origin not asked again.
  EXPECT_EQ(DownloadFromAllNodes(url, "warm"), want);
  EXPECT_EQ(OriginGets("resnet-3mib.pth"), 1) << origin_->ReadAccessLog();
  const Response hit = Get(url, ca_file_);
  EXPECT_EQ(hit.code, 200);
  EXPECT_EQ(Header(hit.headers, "X-Cache-Status"), "HIT") << hit.headers;
  EXPECT_EQ(hit.body, data);
  EXPECT_EQ(OriginGets("resnet-3mib.pth"), 1);

  EXPECT_THAT(ReadTestFile(mirror_log_dir_ + "/torchhub-mirror.access.log"),
              HasSubstr("/download.pytorch.org/models/resnet-3mib.pth HTTP/1.1\" 200 3145728 HIT"));
}

TEST_F(MirrorTest, RangesAreServedFromTheWholeCachedFile) {
  const std::string data = RandomBytes(1 << 20, 2);
  const std::string url = PublishWeights("vit-1mib.pth", data);

  // A resumed download on a cold mirror: the origin is asked for the whole
  // file (one plain GET, 200), the node gets its range.
  const Response cold = Get(url, ca_file_, {"Range: bytes=1000-2999"});
  EXPECT_EQ(cold.code, 206) << cold.headers;
  EXPECT_EQ(cold.body, data.substr(1000, 2000));
  EXPECT_THAT(OriginLogOnce("GET /models/vit-1mib.pth HTTP/1.1 200 1048576"),
              HasSubstr("GET /models/vit-1mib.pth HTTP/1.1 200 1048576"));
  EXPECT_EQ(OriginGets("vit-1mib.pth"), 1);

  // torchhub resumes with Range and If-Range (the ETag it saw): still a
  // range, from the cache.
  const Response full = Get(url, ca_file_);
  const std::string etag = Header(full.headers, "ETag");
  ASSERT_FALSE(etag.empty()) << full.headers;
  const Response resumed = Get(url, ca_file_, {"Range: bytes=524288-", "If-Range: " + etag});
  EXPECT_EQ(resumed.code, 206) << resumed.headers;
  EXPECT_EQ(resumed.body, data.substr(524288));
  EXPECT_EQ(Header(resumed.headers, "X-Cache-Status"), "HIT");

  // A stale validator: the whole file, as torchhub needs to start over.
  const Response changed = Get(url, ca_file_, {"Range: bytes=524288-", "If-Range: \"other\""});
  EXPECT_EQ(changed.code, 200);
  EXPECT_EQ(changed.body, data);

  // The downloader itself through the mirror, and still one origin GET.
  const std::string dst = TestDir("node") + "/vit.pth";
  DownloadOptions options;
  options.progress = false;
  options.ca_file = ca_file_;
  options.hash_prefix = Sha256Hex(data).substr(0, 8);
  absl::StatusOr<DownloadResult> r = DownloadUrlToFile(url, dst, options);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->sha256, Sha256Hex(data));
  EXPECT_EQ(OriginGets("vit-1mib.pth"), 1) << origin_->ReadAccessLog();
}

TEST_F(MirrorTest, AuthenticatedApiAnswersAreNotCached) {
  WriteTestFile(origin_root_ + "/repos/o/n/branches", "[]");
  const std::string url = mirror_base_ + "/api.github.com/repos/o/n/branches";
  EXPECT_EQ(Get(url, ca_file_).code, 200);
  const Response anonymous = Get(url, ca_file_);
  EXPECT_EQ(Header(anonymous.headers, "X-Cache-Status"), "HIT");
  const Response with_token = Get(url, ca_file_, {"Authorization: token secret"});
  EXPECT_EQ(with_token.code, 200);
  EXPECT_EQ(Header(with_token.headers, "X-Cache-Status"), "BYPASS");
  EXPECT_EQ(with_token.body, "[]");
}

TEST_F(MirrorTest, GithubArchiveRedirectsComeBackThroughTheMirror) {
  const std::string zip = RandomBytes(64 << 10, 3);
  WriteTestFile(origin_root_ + "/o/n/zip/main", zip);
  // What TORCHHUB_GITHUB_URL=<mirror>/github.com makes of hub.load("o/n:main").
  const std::string url = mirror_base_ + "/github.com/o/n/zipball/main";
  for (int i = 0; i < 2; ++i) {
    DownloadOptions options;
    options.progress = false;
    options.ca_file = ca_file_;
    absl::StatusOr<DownloadResult> r =
        DownloadUrlToFile(url, TestDir(absl::StrCat("node", i)) + "/main.zip", options);
    ASSERT_THAT(r.status(), IsOk());
    EXPECT_EQ(r->sha256, Sha256Hex(zip));
    EXPECT_EQ(r->final_url, mirror_base_ + "/codeload.github.com/o/n/zip/main");
  }
  // The redirect and the archive were each fetched once, then cached.
  EXPECT_EQ(OriginGetsOf("/o/n/zipball/main"), 1) << origin_->ReadAccessLog();
  EXPECT_EQ(OriginGetsOf("/o/n/zip/main"), 1) << origin_->ReadAccessLog();
}

// The mirror to an HTTPS origin, as to GitHub and download.pytorch.org: the
// origin's certificate is verified against proxy_ssl_trusted_certificate,
// and a mirror that doesn't trust it serves nothing.
TEST(MirrorTlsTest, VerifiesTheOriginsCertificate) {
  const std::string root = TestDir("tls-origin");
  const std::string data = RandomBytes(64 << 10, 3);
  WriteTestFile(root + "/models/w.pth", data);
  HUB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> origin,
                           NginxServer::Start({.root = root, .tls = true}));
  // By name: the certificate is for localhost and 127.0.0.1, and nginx
  // checks the name it connects to.
  const std::string origin_url = absl::StrCat("https://localhost:", origin->port());
  const std::string tls_dir = TestDir("tls-mirror-tls");
  HUB_ASSERT_OK_AND_ASSIGN(const std::string mirror_ca, MakeSelfSignedCertificate(tls_dir));

  HUB_ASSERT_OK_AND_ASSIGN(Mirror trusting, StartMirror(origin_url, origin->ca_file(), tls_dir,
                                                        TestDir("tls-logs"), "trusting"));
  const Response ok = Get(trusting.base_url + "/download.pytorch.org/models/w.pth", mirror_ca);
  EXPECT_EQ(ok.code, 200) << ok.headers;
  EXPECT_EQ(ok.body, data);

  // A mirror whose trusted CA is not the origin's (its own certificate).
  HUB_ASSERT_OK_AND_ASSIGN(Mirror distrusting, StartMirror(origin_url, mirror_ca, tls_dir,
                                                           TestDir("tls-logs2"), "distrusting"));
  const Response refused =
      Get(distrusting.base_url + "/download.pytorch.org/models/w.pth", mirror_ca);
  EXPECT_EQ(refused.code, 502) << refused.headers;
  EXPECT_NE(refused.body, data);
}

}  // namespace
}  // namespace hub
