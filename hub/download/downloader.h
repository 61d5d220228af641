// torch.hub's download_url_to_file, for C++: one URL into one file, verified,
// and never a corrupt or half-written `dst`.
//
//   hub::DownloadOptions options;
//   options.hash_prefix = "5c106cde";
//   absl::StatusOr<hub::DownloadResult> r = hub::DownloadUrlToFile(
//       "https://download.pytorch.org/models/resnet18-5c106cde.pth",
//       "/home/me/.cache/torch/hub/checkpoints/resnet18-5c106cde.pth", options);
//   r->sha256;  // the whole file's digest, computed as the bytes arrived
//
// What torch.hub does, we do: `User-Agent: torch.hub`, redirects followed, `~`
// in `dst` expanded, bytes streamed into "<dst>.<32 hex>.partial" beside
// `dst` (normal permissions, the umask respected), SHA-256 checked against
// `hash_prefix` with torch.hub's error text, then renamed onto `dst`. On
// every failure `dst` is untouched and the temp file removed.
//
// Beyond torch.hub:
//   - A body shorter than its Content-Length is an error, never installed.
//   - Connection errors, 429 and 5xx are retried with exponential back-off
//     (429/503's Retry-After honoured, up to a cap); other 4xx are not.
//   - An interrupted body resumes with Range, validated by ETag or
//     Last-Modified (If-Range), so a file changed on the server starts over.
//     That includes a transfer whose process was killed: the next download of
//     the same `dst` picks up its temp file.
//   - Connect and stall time-outs, a size limit, cancellation.
//   - Several threads or processes downloading one `dst` at once make one
//     transfer: they take the hidden "<dir>/.<name>.lock" beside `dst`
//     (flock, released by the kernel if its holder dies; also "<dst>.lock"
//     when an older version left one: FileLock::AcquireWithLegacy), and
//     whoever waited finds the finished file.
//   - A large file from a server that accepts ranges (a length, "Accept-
//     Ranges: bytes", a strong ETag or a Last-Modified) comes over several
//     connections at once, each range written in place into the temp file.
//     With `connections` (or $TORCHHUB_DOWNLOAD_CONNECTIONS) the first
//     request is the ordinary GET: its answer decides, it is closed once it
//     has, and that many connections fetch ranges. Otherwise the first GET
//     goes on as one stream, hashed as it lands, and a watchdog hands the
//     rest of the file to ranges (over up to 8 more connections, one per
//     8 MiB) only once the stream proves slow: over 2 s more at its pace
//     over the last 20 ms, or that pace fell below a third of its best (a
//     capped, throttled or stalled connection). A fast stream keeps the file, which
//     on a machine with few cores is the quickest way (no read-back, no
//     second TLS stream to decrypt); a slow one stops 256 KiB past where it
//     was and its hash goes on over the ranges. The SHA-256 advances over
//     the contiguous prefix as it grows, so it is ready with the last byte.
//     Each range is retried on its own; a range answered for a changed file
//     (other validators) starts the download over; a server that answers a
//     range with the whole file, another range or a redirect gets one
//     stream from the start instead. A killed process's finished ranges are
//     kept (listed in the lock file's record) and the rest fetched.
//   - The file is fsync'd before the rename, and the directory after it;
//     write-back is started as the bytes arrive (sync_file_range), so that
//     the final fsync has little left to do.
//   - TLS is always verified. CA bundle: `ca_file`, else $CURL_CA_BUNDLE,
//     else $SSL_CERT_FILE (and $SSL_CERT_DIR), else the system's. Proxies:
//     libcurl's http_proxy, https_proxy, all_proxy and no_proxy.
//   - Redirects are followed hop by hop (never by libcurl behind our back),
//     at most `max_redirects`, and never from https:// to http://: urllib
//     follows such a downgrade, we refuse it (kFailedPrecondition, naming
//     both URLs) before anything is requested from the http:// URL.
//   - A GitHub token is sent ("Authorization: token ...") only to an origin
//     (scheme, host and port) in `token_hosts`, and never across a redirect
//     to another origin: not to another host, not to another port of the
//     same host, not from https:// to http://.
//
// Thread-safe: any number of threads may download at once.

#ifndef HUB_DOWNLOAD_DOWNLOADER_H_
#define HUB_DOWNLOAD_DOWNLOADER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hub/base/cancellation.h"
#include "hub/download/http_error.h"  // HttpStatusOf, for callers
#include "hub/download/http_transport.h"

namespace hub {

struct DownloadOptions {
  // torch.hub's parameters.

  // The start of the file's SHA-256, lowercase hex; nullopt checks nothing
  // (the digest is still computed and returned).
  std::optional<std::string> hash_prefix;
  // A progress bar on stderr when it is a terminal, sparse lines when it is
  // not, nothing when false.
  bool progress = true;

  // Ours.

  std::string user_agent = "torch.hub";
  // What to do when `dst` exists: torch.hub replaces it; kKeep returns it
  // (checked under the lock, so concurrent callers make one transfer).
  enum class IfExists { kReplace, kKeep };
  IfExists if_exists = IfExists::kReplace;
  // Attempts in all (1: no retries).
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  // A Retry-After longer than this is an error rather than a wait.
  absl::Duration max_retry_after = absl::Minutes(2);
  absl::Duration connect_timeout = absl::Seconds(30);
  // No byte received for this long ends the attempt (it is retried).
  absl::Duration stall_timeout = absl::Seconds(60);
  // How long to wait for another transfer of the same `dst`.
  absl::Duration lock_timeout = absl::InfiniteDuration();
  // Largest accepted file, in bytes; -1 for no limit.
  int64_t max_bytes = -1;
  int max_redirects = 10;
  // Resume interrupted transfers (in this call, and ones left by a killed
  // process) when the server allows it.
  bool resume = true;
  // fsync the file before renaming it into place.
  bool durable = true;
  // Connections for one file: 1 is one stream (torch.hub's way); 0 lets
  // $TORCHHUB_DOWNLOAD_CONNECTIONS (a positive number) say, else one stream
  // first and, if it proves slow, ranges over connections chosen from the
  // size (one per 8 MiB, at most 8) beside it. At most 16; fewer when the
  // file has fewer ranges.
  int connections = 0;
  // The bytes each ranged request asks for; 0 chooses from the size (a
  // quarter of each connection's share, 1 MiB to 64 MiB).
  int64_t range_bytes = 0;
  // PEM CA bundle to verify servers with, instead of the defaults.
  std::string ca_file;
  // Sent as "Authorization: token <github_token>" to `token_hosts` only.
  // Empty: $GITHUB_TOKEN.
  std::string github_token;
  // Origins that may get the token: "https://host[:port]" or
  // "http://host[:port]"; a bare "host" or "host:port" means https://, so
  // the default is https://api.github.com (port 443) and nothing else.
  std::vector<std::string> token_hosts = {"api.github.com"};
  // Extra request headers ("Name: value"), sent to every host.
  std::vector<std::string> headers;
  // Set to true (from any thread, or a signal handler) to stop: the call
  // returns kCancelled and cleans up. hub::RequestCancellation() (the
  // process-wide flag, hub/base/cancellation.h) stops it too.
  const std::atomic<bool>* cancel = nullptr;
  // Told before each retry: the URL, the attempt about to start (2, 3, ...),
  // max_attempts, and why the last one failed. For a "waiting for HOST (try
  // 2 of 5)" line. With parallel ranges, a range's own retries (called from
  // that range's thread, one call at a time).
  std::function<void(const std::string& url, int attempt, int max_attempts,
                     const absl::Status& why)>
      on_retry;
  // Where progress goes (default stderr), and whether it is a terminal
  // (default: isatty(2)).
  std::ostream* progress_stream = nullptr;
  std::optional<bool> progress_is_terminal;
  // Seams for tests: how to wait between attempts (called from several
  // threads at once when ranges are fetched in parallel), and what carries
  // the requests (nullptr: CurlHttpTransport(); FakeHttpTransport in unit
  // tests). Not owned; must outlive the call.
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) { SleepUnlessCancelled(d); };
  HttpTransport* transport = nullptr;
};

struct DownloadResult {
  std::string path;           // `dst`, `~` expanded
  std::string sha256;         // hex digest of the whole file
  int64_t bytes = 0;          // its size
  int attempts = 0;           // HTTP transfers made (0 when `reused`)
  int connections = 1;        // at once, at most (1: one stream); a split
                              // stream counts as one of them
  int64_t resumed_bytes = 0;  // bytes kept from an interrupted transfer
  bool reused = false;        // another transfer produced it while we waited, or
                              // it existed and IfExists::kKeep
  std::string final_url;      // after redirects
};

// Downloads `url` to `dst` as described above. Errors (absl::Status):
//   kInvalidArgument   bad URL (not http/https), bad hash_prefix, bad dst
//   kNotFound          dst's directory is missing; HTTP 404/410
//   kDataLoss          hash mismatch (torch.hub's text); body shorter than
//                      Content-Length after every attempt
//   kUnavailable       connection errors, 5xx, after every attempt
//   kResourceExhausted 429 after every attempt; file over max_bytes
//   kDeadlineExceeded  connect or stall time-out after every attempt; lock wait
//   kPermissionDenied  401/403
//   kCancelled         `cancel` was set, or hub::RequestCancellation()
//   kFailedPrecondition offline (hub::IsOffline()) and `dst` was not already
//                      complete: nothing requested
//   kFailedPrecondition other HTTP answers (e.g. 300), too many redirects, a
//                      redirect from https:// to http:// (nothing requested
//                      from the http:// URL, dst untouched)
// HTTP errors carry the status code: see HttpStatusOf.
absl::StatusOr<DownloadResult> DownloadUrlToFile(absl::string_view url, absl::string_view dst,
                                                 const DownloadOptions& options = {});

}  // namespace hub

#endif  // HUB_DOWNLOAD_DOWNLOADER_H_
