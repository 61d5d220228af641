#include "hub/download/downloader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hub/base/cancellation.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
#include "hub/cache/download_record.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/download/curl_common.h"
#include "hub/download/file_sink.h"
#include "hub/download/http_response.h"
#include "hub/download/http_transport.h"
#include "hub/download/prefix_hasher.h"
#include "hub/download/progress.h"
#include "hub/fs/file_identity.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"
#include "hub/fs/path.h"
#include "hub/hash/hash_prefix.h"
#include "hub/hash/sha256.h"

namespace hub {
namespace {

using download_internal::CheckRedirect;
using download_internal::CheckUrl;
using download_internal::GithubToken;
using download_internal::ShouldSendToken;

constexpr int64_t kReceiveBufferBytes = int64_t{512} * 1024;  // libcurl's largest
// A range's bytes are written (and counted) in pieces of about this size.
constexpr size_t kRangeWriteBytes = size_t{1} << 20;
constexpr size_t kErrorBodyBytes = 512;
constexpr int64_t kMiB = int64_t{1} << 20;
// Parallel ranges: at most this many connections; chosen from the size, one
// per kAutoBytesPerConnection up to kAutoMaxConnections.
constexpr int kMaxConnections = 16;
constexpr int kAutoMaxConnections = 8;
constexpr int64_t kAutoBytesPerConnection = 8 * kMiB;
// With the connections chosen from the size, one stream goes first (hashed
// as it lands, no read-back) and keeps the file to itself while it would
// finish within kSplitAfter at its pace over the last kSplitWindow and
// keeps at least a third of its best such pace. Otherwise (capped, slow or
// stalled) the file past kSplitMargin beyond the stream goes to ranges over
// new connections; the stream stops there. A watchdog thread judges every
// kSplitCheck: libcurl calls back only about once a second while a stream
// is silent. On 2 cores, 10 ms windows split 3 of 8 uncapped 512 MiB
// downloads on passing dips, 20 ms none; 50 ms windows made a capped one
// (nginx limit_rate) some 50 ms slower (benchmarks/RESULTS.md).
constexpr absl::Duration kSplitWindow = absl::Milliseconds(20);
constexpr absl::Duration kSplitCheck = absl::Milliseconds(5);
constexpr absl::Duration kSplitAfter = absl::Seconds(2);
constexpr int64_t kSplitMargin = int64_t{256} * 1024;
// A stream that has handed over its tail and then hears nothing for this
// long leaves the rest of its share to a ranged request.
constexpr absl::Duration kSplitStreamPatience = absl::Seconds(1);

// The connections asked for: options, else $TORCHHUB_DOWNLOAD_CONNECTIONS,
// else 0 (choose from the size).
int RequestedConnections(const DownloadOptions& options) {
  if (options.connections > 0) return std::min(options.connections, kMaxConnections);
  const char* env = std::getenv("TORCHHUB_DOWNLOAD_CONNECTIONS");
  int n = 0;
  if (env != nullptr && absl::SimpleAtoi(env, &n) && n > 0) return std::min(n, kMaxConnections);
  return 0;
}

struct RangePlan {
  int connections = 1;
  int64_t range_bytes = 0;
};

// How to fetch `remaining` bytes of a file in ranges.
RangePlan PlanRanges(int64_t remaining, int requested, int64_t range_bytes) {
  RangePlan plan;
  plan.connections = requested > 0
                         ? requested
                         : static_cast<int>(std::clamp<int64_t>(remaining / kAutoBytesPerConnection,
                                                                1, kAutoMaxConnections));
  plan.range_bytes =
      range_bytes > 0
          ? range_bytes
          : std::clamp<int64_t>(remaining / (int64_t{4} * plan.connections), kMiB, 64 * kMiB);
  const int64_t ranges = (remaining + plan.range_bytes - 1) / plan.range_bytes;
  plan.connections = static_cast<int>(std::min<int64_t>(plan.connections, ranges));
  return plan;
}

// One range of a parallel transfer: [start, end), of which [start, start +
// done) is in the file.
struct FileRange {
  int64_t start = 0;
  int64_t end = 0;
  int64_t done = 0;
  bool taken = false;
};

// The spans of the file written so far, merged.
std::vector<std::pair<int64_t, int64_t>> WrittenSpans(const std::vector<FileRange>& ranges) {
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const FileRange& r : ranges) {
    if (r.done == 0) continue;
    if (!spans.empty() && spans.back().second == r.start) {
      spans.back().second = r.start + r.done;
    } else {
      spans.emplace_back(r.start, r.start + r.done);
    }
  }
  return spans;
}

// Where the file's first gap begins.
int64_t ContiguousEnd(const std::vector<FileRange>& ranges) {
  for (const FileRange& r : ranges) {
    if (r.start + r.done < r.end) return r.start + r.done;
  }
  return ranges.empty() ? 0 : ranges.back().end;
}

// The record kept in the lock file while a transfer runs
// (hub/cache/download_record.h).
using ResumeRecord = DownloadRecord;

std::string SerializeRecord(const ResumeRecord& r) { return SerializeDownloadRecord(r); }

std::optional<ResumeRecord> ParseRecord(absl::string_view text) {
  return ParseDownloadRecord(text);
}

absl::Status WriteRecord(int fd, const std::string& text) {
  return WriteDownloadRecordText(fd, text);
}

std::string ReadRecordText(int fd) { return ReadDownloadRecordText(fd); }

// A parallel transfer's record, its last spans left out until it fits what
// a reader reads (ReadDownloadRecordText: 4 KiB; a long signed URL takes
// much of it): spans left out are fetched again, never taken as written.
std::string SerializeRangedRecord(ResumeRecord record) {
  constexpr size_t kMaxRecordBytes = 4096;
  std::string text = SerializeRecord(record);
  while (text.size() > kMaxRecordBytes && !record.ranges.empty()) {
    record.ranges.pop_back();
    text = SerializeRecord(record);
  }
  return text;
}

// The regular file at `path`, if there is one.
std::optional<FileIdentity> IdOf(const std::string& path) {
  absl::StatusOr<FileIdentity> id = FileIdentity::Of(path);
  if (!id.ok() || !S_ISREG(id->mode)) return std::nullopt;
  return *id;
}

// ---------------------------------------------------------------------------
// One DownloadUrlToFile call.

class Transfer : public HttpResponseHandler {
 public:
  Transfer(std::string url, std::string dst, const DownloadOptions& options)
      : url_(std::move(url)),
        dst_(std::move(dst)),
        options_(options),
        transport_(options.transport != nullptr ? *options.transport : CurlHttpTransport()) {}
  ~Transfer() override;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  absl::StatusOr<DownloadResult> Run();

 private:
  // What one attempt ended with.
  struct Outcome {
    absl::Status status;
    bool retryable = false;
    std::optional<absl::Duration> retry_after;
  };

  absl::Status Prepare();
  absl::StatusOr<std::optional<DownloadResult>> ReuseExisting(
      bool waited, const std::optional<FileIdentity>& before);
  void AdoptLegacyRecord();
  absl::Status AdoptOrRemoveLeftover();
  absl::Status OpenTemp();
  absl::Status Restart();
  Outcome Attempt();
  Outcome PerformHop(const std::string& hop_url, bool send_token);
  absl::StatusOr<DownloadResult> Publish();
  std::unique_ptr<ProgressDisplay> MakeProgress(const std::string& label) const;
  bool ShouldGoParallel() const;
  Outcome RunParallel();
  class RangeFetch;
  struct Parallel;
  Outcome EndParallel(Parallel& p);
  // One stream first: a watchdog splits the file when the stream is slow.
  void StartWatching();
  void Watchdog();
  void SplitLocked(Parallel& p);
  bool StopWatching();
  Outcome FinishSplit(const Outcome& stream);
  void RangeWorker(Parallel& p);
  Outcome FetchRange(Parallel& p, size_t index);
  void TakeAnswer(Parallel& p);
  void RecordSpansLocked(const Parallel& p);
  absl::Duration Backoff(int failures, const std::optional<absl::Duration>& retry_after);
  bool Cancelled() const {
    return CancellationRequested() ||
           (options_.cancel != nullptr && options_.cancel->load(std::memory_order_relaxed));
  }
  void SleepUnlessCancelled(absl::Duration d);
  void Discard();

  // HttpResponseHandler: the hop's answer as it arrives.
  void OnHeaderLine(absl::string_view line) override;
  bool OnBody(absl::string_view chunk) override;
  bool KeepGoing() override;
  bool StartBody();

  const std::string url_;
  const std::string dst_;
  const DownloadOptions& options_;
  HttpTransport& transport_;

  std::string dir_;
  std::string token_;
  std::optional<FileLock> lock_;
  std::string temp_path_;
  int fd_ = -1;
  std::unique_ptr<FileSink> sink_;
  std::unique_ptr<ProgressDisplay> progress_;
  ResumeRecord record_;
  int64_t resumed_bytes_ = 0;
  int attempts_ = 0;
  std::string final_url_;

  // Per hop.
  HttpResponseHead head_;
  std::string redirect_url_;
  bool body_started_ = false;
  bool body_wanted_ = false;
  int64_t expected_end_ = -1;  // total bytes the file will have, when known
  std::string error_body_;
  absl::Status abort_;  // why a callback stopped the transfer
  bool abort_retryable_ = false;
  absl::Time last_byte_;  // for the stall time-out
  bool restart_needed_ = false;
  std::string hop_url_;  // the request in flight

  // Parallel ranges.
  int requested_connections_ = 0;  // 0: choose from the size
  int tries_ = 0;                  // rounds of the retry loop
  bool parallel_ok_ = true;        // false once the server let us down
  bool go_parallel_ = false;       // the first answer says: ranges
  bool fallback_ = false;          // ranges failed: one stream from the start
  int connections_ = 1;
  std::vector<std::pair<int64_t, int64_t>> resume_spans_;  // a killed transfer's ranges
  std::optional<FileSink::Summary> parallel_summary_;
  std::mutex callback_mu_;  // on_retry, from one range at a time
  // One stream first: the watched stream's transfer (ranges once split).
  std::unique_ptr<Parallel> watch_;
  std::thread watchdog_;
};

// What the ranges of one parallel round share (RunParallel, or a watched
// stream and the split that follows it).
struct Transfer::Parallel {
  int64_t total = 0;
  std::string url;  // redirects resolved
  bool send_token = false;
  std::string validator;  // for If-Range
  std::unique_ptr<download_internal::PrefixHasher> hasher;

  std::mutex mu;
  // Guarded by mu:
  std::vector<FileRange> ranges;
  int64_t have = 0;  // bytes in the file
  int requests = 0;
  absl::Status failure;  // the first range that failed for good: all stop
  bool fallback = false;
  bool changed = false;
  // One stream first (StartWatching): until the split the stream has the
  // whole file; then ranges[0], [0, stream_limit), is its share.
  int64_t stream_pos = 0;    // the stream's bytes (not counted in `have`)
  int64_t stream_limit = 0;  // where the stream stops
  bool split = false;        // the ranges past stream_limit are under way
  bool stream_over = false;  // the stream's request has returned
  std::condition_variable stream_over_changed;
  std::vector<std::thread> workers;  // the split's
};

Transfer::~Transfer() {
  if (watch_ != nullptr) {
    // Run always ends a watched stream (StopWatching, FinishSplit); this is
    // for a path that forgot to.
    {
      const std::lock_guard<std::mutex> lock(watch_->mu);
      watch_->stream_over = true;
      if (watch_->failure.ok()) watch_->failure = absl::CancelledError("download abandoned");
    }
    watch_->stream_over_changed.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    for (std::thread& w : watch_->workers) w.join();
  }
  Discard();
}

absl::StatusOr<DownloadResult> Transfer::Run() {
  HUB_RETURN_IF_ERROR(CheckUrl(url_, "URL"));
  if (options_.hash_prefix.has_value()) {
    HUB_RETURN_IF_ERROR(ValidateHashPrefix(*options_.hash_prefix));
  }
  if (dst_.empty() || dst_.back() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("download destination \"", dst_, "\" is not a file path"));
  }
  dir_ = DirName(dst_);
  if (dir_.empty()) dir_ = ".";
  if (!IsDirectory(dir_)) {
    return absl::NotFoundError(
        absl::StrCat("cannot download to ", dst_, ": the directory ", dir_,
                     " does not exist (download_url_to_file does not create it; create it first)"));
  }
  if (IsDirectory(dst_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot download to ", dst_, ": it is a directory; give a file path"));
  }
  token_ = GithubToken(options_.github_token);

  // One transfer per dst at a time, across threads and processes.
  const std::optional<FileIdentity> before = IdOf(dst_);
  const std::string lock_path = LockPath(dst_);
  const std::string legacy_lock_path = LegacyLockPath(dst_);
  bool waited = false;
  absl::StatusOr<FileLock> lock = FileLock::TryAcquireWithLegacy(lock_path, legacy_lock_path);
  if (!lock.ok() && lock.status().code() == absl::StatusCode::kUnavailable) {
    waited = true;
    lock = FileLock::AcquireWithLegacy(lock_path, legacy_lock_path, FileLock::Mode::kExclusive,
                                       options_.lock_timeout);
    if (!lock.ok() && lock.status().code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::DeadlineExceededError(absl::StrCat("another download of ", dst_, " (holding ",
                                                      lock_path, ") did not finish within ",
                                                      absl::FormatDuration(options_.lock_timeout)));
    }
  }
  if (!lock.ok()) return lock.status();
  lock_.emplace(std::move(*lock));
  AdoptLegacyRecord();

  HUB_ASSIGN_OR_RETURN(std::optional<DownloadResult> reused, ReuseExisting(waited, before));
  if (reused.has_value()) return *std::move(reused);

  HUB_RETURN_IF_ERROR(CheckNetworkAllowed(absl::StrCat("downloading ", url_, " to ", dst_)));
  HUB_RETURN_IF_ERROR(AdoptOrRemoveLeftover());
  if (fd_ < 0) HUB_RETURN_IF_ERROR(OpenTemp());

  progress_ = MakeProgress(BaseName(dst_));
  requested_connections_ = RequestedConnections(options_);

  Outcome outcome;
  int failures = 0;
  while (true) {
    outcome = Attempt();
    bool ranged = false;
    if (go_parallel_) {
      go_parallel_ = false;
      outcome = RunParallel();
      ranged = true;
    } else if (watch_ != nullptr && StopWatching()) {
      outcome = FinishSplit(outcome);
      ranged = true;
    }
    if (ranged) {
      if (!outcome.status.ok() && (fallback_ || restart_needed_) && !Cancelled()) {
        // Nothing of this round is kept: one stream (or a fresh start of a
        // changed file) from byte 0.
        if (absl::Status s = Restart(); !s.ok()) {
          outcome = {s, false, std::nullopt};
          break;
        }
        if (fallback_) {
          fallback_ = false;
          parallel_ok_ = false;
          continue;
        }
        outcome.retryable = true;
      } else {
        break;
      }
    }
    if (outcome.status.ok() || !outcome.retryable || Cancelled() ||
        tries_ >= options_.max_attempts) {
      break;
    }
    ++failures;
    const absl::Duration delay = Backoff(failures, outcome.retry_after);
    if (delay > options_.max_retry_after) {
      outcome.status =
          absl::Status(outcome.status.code(),
                       absl::StrCat(outcome.status.message(), "; the server asks to retry after ",
                                    absl::FormatDuration(delay), ", longer than max_retry_after (",
                                    absl::FormatDuration(options_.max_retry_after), ")"));
      break;
    }
    if (options_.on_retry) {
      options_.on_retry(url_, attempts_ + 1, options_.max_attempts, outcome.status);
    }
    SleepUnlessCancelled(delay);
  }
  if (Cancelled() && outcome.status.code() != absl::StatusCode::kCancelled &&
      !outcome.status.ok()) {
    outcome.status = absl::CancelledError(
        absl::StrCat("download of ", url_, " cancelled; ", dst_, " was not touched"));
  }
  if (!outcome.status.ok()) {
    if (progress_ != nullptr) progress_->Finish(false);
    if (attempts_ > 1) {
      absl::Status status(
          outcome.status.code(),
          absl::StrCat(outcome.status.message(), " (gave up after ", attempts_, " attempts)"));
      outcome.status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
        status.SetPayload(url, payload);
      });
      return status;
    }
    return outcome.status;
  }
  return Publish();
}

absl::StatusOr<std::optional<DownloadResult>> Transfer::ReuseExisting(
    bool waited, const std::optional<FileIdentity>& before) {
  const std::optional<FileIdentity> now = IdOf(dst_);
  if (!now.has_value()) return std::nullopt;
  // Finished by whoever held the lock while we waited, or wanted as is.
  const bool fresh = waited && !(now == before);
  if (!fresh && options_.if_exists != DownloadOptions::IfExists::kKeep) return std::nullopt;
  DownloadResult result;
  result.path = dst_;
  result.bytes = now->size;
  result.reused = true;
  result.final_url = url_;
  if (options_.hash_prefix.has_value()) {
    HUB_ASSIGN_OR_RETURN(result.sha256, Sha256FileHex(dst_));
    if (!CheckHashPrefix(result.sha256, *options_.hash_prefix).ok()) {
      Warn(
          WarningCategory::kUserWarning,
          absl::StrCat(dst_, " exists but its SHA-256 (", result.sha256, ") does not start with \"",
                       *options_.hash_prefix, "\"; downloading it again"));
      return std::nullopt;
    }
  }
  return result;
}

// A transfer an older version left records itself in "<dst>.lock": its temp
// file becomes ours to resume or remove, recorded in our lock, and the old
// lock file is left empty (`cache prune` removes it once free).
void Transfer::AdoptLegacyRecord() {
  if (lock_->legacy_fd() < 0) return;
  const std::string legacy = ReadRecordText(lock_->legacy_fd());
  if (!ParseRecord(legacy).has_value()) return;
  if (!ParseRecord(ReadRecordText(lock_->fd())).has_value() &&
      !WriteRecord(lock_->fd(), legacy).ok()) {
    return;
  }
  (void)WriteRecord(lock_->legacy_fd(), "");
}

absl::Status Transfer::AdoptOrRemoveLeftover() {
  const std::optional<ResumeRecord> old = ParseRecord(ReadRecordText(lock_->fd()));
  if (!old.has_value()) return absl::OkStatus();
  // We hold the lock, so its writer is gone. Only ever touch a name this
  // code makes, beside dst.
  if (!IsDownloadTempName(old->partial) || absl::StrContains(old->partial, '/')) {
    return WriteRecord(lock_->fd(), "");
  }
  const std::string path = JoinPath(dir_, old->partial);
  const bool can_resume = options_.resume && old->url == url_ &&
                          (IsStrongEtag(old->etag) || !old->last_modified.empty());
  auto remove = [&]() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(path.c_str());
    return WriteRecord(lock_->fd(), "");
  };
  if (!can_resume) return remove();
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ < 0) return remove();
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) ||
      (old->total >= 0 && st.st_size > old->total)) {
    return remove();
  }
  // A parallel transfer's file is good where its record says: from byte 0
  // up to its first gap (one stream resumes there), and the other spans
  // (ranges resume them).
  int64_t have = st.st_size;
  if (old->ranged) {
    have = !old->ranges.empty() && old->ranges[0].first == 0
               ? std::min<int64_t>(old->ranges[0].second, st.st_size)
               : 0;
    resume_spans_ = old->ranges;
  }
  // The bytes already there go into the hash once; the rest arrive.
  Sha256 hasher;
  std::vector<char> buffer(1 << 20);
  int64_t done = 0;
  while (done < have) {
    const auto want =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(buffer.size()), have - done));
    const absl::StatusOr<size_t> n =
        ReadAllAt(fd_, buffer.data(), want, done, "reading the partial download");
    if (!n.ok() || *n != want) return remove();
    hasher.Update(buffer.data(), want);
    done += static_cast<int64_t>(want);
  }
  temp_path_ = path;
  record_ = *old;
  HUB_ASSIGN_OR_RETURN(sink_, FileSink::Create(fd_, done, std::move(hasher), options_.durable));
  return absl::OkStatus();
}

absl::Status Transfer::OpenTemp() {
  const std::string path = DownloadTempPath(dst_);
  record_ = ResumeRecord();
  record_.partial = BaseName(path);
  record_.url = url_;
  // Recorded before the file exists, so that no temp file of ours is ever
  // without its record.
  HUB_RETURN_IF_ERROR(WriteRecord(lock_->fd(), SerializeRecord(record_)));
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) return ErrnoToStatus(errno, absl::StrCat("creating ", path));
  temp_path_ = path;
  HUB_ASSIGN_OR_RETURN(sink_, FileSink::Create(fd_, 0, Sha256(), options_.durable));
  return absl::OkStatus();
}

absl::Status Transfer::Restart() {
  restart_needed_ = false;
  sink_.reset();
  if (::ftruncate(fd_, 0) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("truncating ", temp_path_));
  }
  HUB_ASSIGN_OR_RETURN(sink_, FileSink::Create(fd_, 0, Sha256(), options_.durable));
  resumed_bytes_ = 0;
  record_.etag.clear();
  record_.last_modified.clear();
  record_.total = -1;
  record_.ranged = false;
  record_.ranges.clear();
  resume_spans_.clear();
  parallel_summary_.reset();
  return absl::OkStatus();
}

Transfer::Outcome Transfer::Attempt() {
  ++attempts_;
  ++tries_;
  const int64_t offset = sink_->bytes_appended();
  if (offset > 0 &&
      !(options_.resume && (IsStrongEtag(record_.etag) || !record_.last_modified.empty()))) {
    restart_needed_ = true;
  }
  if (restart_needed_) {
    if (absl::Status s = Restart(); !s.ok()) return {s, false, std::nullopt};
  }
  std::string hop = url_;
  for (int hops = 0;; ++hops) {
    Outcome outcome = PerformHop(hop, ShouldSendToken(token_, hop, url_, options_.token_hosts));
    const int status = head_.status;
    const bool redirect = outcome.status.ok() && (status == 301 || status == 302 || status == 303 ||
                                                  status == 307 || status == 308);
    if (!redirect) {
      final_url_ = hop;
      return outcome;
    }
    if (redirect_url_.empty()) {
      return {HttpError(status, "redirect without a Location header", hop, ""), false,
              std::nullopt};
    }
    const std::string next_url = redirect_url_;
    if (hops >= options_.max_redirects) {
      return {absl::FailedPreconditionError(absl::StrCat(
                  "too many redirects (more than ", options_.max_redirects, ") starting at ", url_,
                  "; the last led to ", next_url, ". Is the server redirecting in a loop?")),
              false, std::nullopt};
    }
    if (absl::Status s = CheckRedirect(hop, next_url); !s.ok()) return {s, false, std::nullopt};
    hop = next_url;
  }
}

Transfer::Outcome Transfer::PerformHop(const std::string& hop_url, bool send_token) {
  head_ = HttpResponseHead();
  body_started_ = false;
  body_wanted_ = false;
  expected_end_ = -1;
  error_body_.clear();
  abort_ = absl::OkStatus();
  abort_retryable_ = false;
  last_byte_ = absl::Now();

  redirect_url_.clear();
  hop_url_ = hop_url;
  const int64_t offset = sink_->bytes_appended();
  HttpRequest request;
  request.url = hop_url;
  if (send_token) request.headers.push_back(absl::StrCat("Authorization: token ", token_));
  request.headers.insert(request.headers.end(), options_.headers.begin(), options_.headers.end());
  if (offset > 0) {
    request.headers.push_back(absl::StrCat("Range: bytes=", offset, "-"));
    request.headers.push_back(absl::StrCat(
        "If-Range: ", IsStrongEtag(record_.etag) ? record_.etag : record_.last_modified));
  }
  request.user_agent = options_.user_agent;
  request.ca_file = options_.ca_file;
  request.connect_timeout = options_.connect_timeout;
  request.timeout = absl::InfiniteDuration();  // stalls end an attempt, not its length
  request.receive_buffer_bytes = kReceiveBufferBytes;

  const HttpTransferResult result = transport_.Perform(request, *this);

  if (!abort_.ok()) return {abort_, abort_retryable_ || restart_needed_, std::nullopt};
  if (!result.status.ok() && Cancelled()) {
    return {absl::CancelledError(
                absl::StrCat("download of ", url_, " cancelled; ", dst_, " was not touched")),
            false, std::nullopt};
  }
  if (!result.status.ok()) {
    std::string message(result.status.message());
    if (body_started_) {
      absl::StrAppend(&message, " (after ", sink_->bytes_appended(), " of ",
                      expected_end_ >= 0 ? absl::StrCat(expected_end_) : "?", " bytes)");
    }
    return {absl::Status(result.status.code(), message), result.retryable, std::nullopt};
  }
  redirect_url_ = result.redirect_url;
  const int status = head_.status;
  if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
    return {absl::OkStatus(), false, std::nullopt};
  }
  if (status == 200 || status == 206) {
    if (!body_started_ && !StartBody()) return {abort_, restart_needed_, std::nullopt};
    const int64_t have = sink_->bytes_appended();
    if (expected_end_ >= 0 && have != expected_end_) {
      return {absl::DataLossError(absl::StrCat("downloading ", hop_url, ": the server sent ", have,
                                               " of ", expected_end_, " bytes")),
              true, std::nullopt};
    }
    return {absl::OkStatus(), false, std::nullopt};
  }
  if (status == 416 && offset > 0) {
    // Our range starts at the end: either we have it all, or the file shrank.
    const std::optional<int64_t> total = ParseUnsatisfiedRange(head_.content_range);
    if (total.has_value() && *total == offset) {
      expected_end_ = offset;
      return {absl::OkStatus(), false, std::nullopt};
    }
    restart_needed_ = true;
    return {HttpError(status, head_.reason, hop_url, error_body_), true, std::nullopt};
  }
  Outcome outcome{HttpError(status, head_.reason, hop_url, error_body_),
                  IsRetryableHttpStatus(status), std::nullopt};
  if ((status == 429 || status == 503) && !head_.retry_after.empty()) {
    outcome.retry_after = ParseRetryAfter(head_.retry_after, absl::Now());
  }
  return outcome;
}

bool Transfer::StartBody() {
  if (body_started_) return true;
  body_started_ = true;
  const int64_t offset = sink_->bytes_appended();
  if (head_.status == 200) {
    if (offset > 0) {
      // The server sent the whole file (no ranges, or If-Range said it changed).
      if (absl::Status s = Restart(); !s.ok()) {
        abort_ = s;
        return false;
      }
    }
    expected_end_ = head_.content_length;
  } else {
    const std::optional<ContentRange> range = ParseContentRange(head_.content_range);
    const bool same_file =
        (record_.etag.empty() || head_.etag.empty() || head_.etag == record_.etag) &&
        (record_.last_modified.empty() || head_.last_modified.empty() ||
         head_.last_modified == record_.last_modified);
    if (!range.has_value() || range->start != offset || !same_file) {
      restart_needed_ = true;
      abort_ = absl::DataLossError(absl::StrCat(
          "the server answered a request to resume ", url_, " at byte ", offset, " with ",
          range.has_value() ? absl::StrCat("bytes ", range->start, "-", range->end)
                            : absl::StrCat("\"", head_.content_range, "\""),
          same_file ? "" : " of a changed file", "; starting over"));
      return false;
    }
    expected_end_ = range->total >= 0 ? range->total : range->end + 1;
    resumed_bytes_ = offset;
  }
  if (options_.max_bytes >= 0 && expected_end_ > options_.max_bytes) {
    abort_ = absl::ResourceExhaustedError(absl::StrCat(url_, " is ", expected_end_,
                                                       " bytes, more than the limit of ",
                                                       options_.max_bytes, " (max_bytes)"));
    return false;
  }
  bool watch = false;
  if (ShouldGoParallel()) {
    if (requested_connections_ > 0 || record_.ranged) {
      // Connections asked for, or a parallel transfer's ranges to finish:
      // this connection has done its part, the ranges take over.
      go_parallel_ = true;
      abort_ = absl::AbortedError("continuing over several connections");
      return false;
    }
    watch = true;  // one stream first; ranges if it proves slow
  }
  if (record_.ranged) {
    // One stream after a parallel transfer: what lies past our offset is
    // rewritten, and must not pass for a prefix if we are interrupted.
    if (::ftruncate(fd_, offset) != 0) {
      abort_ = ErrnoToStatus(errno, absl::StrCat("truncating ", temp_path_));
      return false;
    }
    record_.ranged = false;
    record_.ranges.clear();
    resume_spans_.clear();
  }
  body_wanted_ = true;
  if (!head_.etag.empty()) record_.etag = head_.etag;
  if (!head_.last_modified.empty()) record_.last_modified = head_.last_modified;
  record_.total = expected_end_;
  // Best effort: without it a later process just can't resume.
  (void)WriteRecord(lock_->fd(), SerializeRecord(record_));
  if (progress_ != nullptr) progress_->Start(expected_end_, sink_->bytes_appended());
  if (watch) StartWatching();
  return true;
}

void Transfer::OnHeaderLine(absl::string_view line) {
  last_byte_ = absl::Now();
  if (absl::StripAsciiWhitespace(line).empty()) {
    // The end of a head: if it is the one whose body we keep, get ready. A
    // failure is in abort_, and OnBody and KeepGoing stop the transfer.
    if (!body_started_ && abort_.ok() && (head_.status == 200 || head_.status == 206)) {
      StartBody();
    }
    return;
  }
  if (!body_started_) head_.AddLine(line);  // not trailers
}

bool Transfer::OnBody(absl::string_view chunk) {
  last_byte_ = absl::Now();
  if (!abort_.ok()) return false;
  if (!body_wanted_) {
    // An error page or a redirect's body: keep the start for the message.
    const size_t keep =
        std::min(chunk.size(), kErrorBodyBytes - std::min(kErrorBodyBytes, error_body_.size()));
    error_body_.append(chunk.data(), keep);
    return true;
  }
  size_t take = chunk.size();
  bool reached = false;  // the split point: the ranges have the rest
  if (watch_ != nullptr) {
    const std::lock_guard<std::mutex> lock(watch_->mu);
    const int64_t room = watch_->stream_limit - sink_->bytes_appended();
    if (watch_->split && static_cast<int64_t>(take) >= room) {
      take = static_cast<size_t>(std::max<int64_t>(room, 0));
      reached = true;
    }
    watch_->stream_pos = sink_->bytes_appended() + static_cast<int64_t>(take);
    if (progress_ != nullptr) progress_->Update(watch_->have + watch_->stream_pos);
  }
  const int64_t after = sink_->bytes_appended() + static_cast<int64_t>(take);
  if (options_.max_bytes >= 0 && after > options_.max_bytes) {
    abort_ = absl::ResourceExhaustedError(absl::StrCat(url_, " sent more than the limit of ",
                                                       options_.max_bytes, " bytes (max_bytes)"));
    return false;
  }
  if (absl::Status s = sink_->Append(chunk.data(), take); !s.ok()) {
    abort_ = s;
    return false;
  }
  if (reached) {
    abort_ = absl::AbortedError("the rest of the file comes over other connections");
    return false;
  }
  if (progress_ != nullptr && watch_ == nullptr) progress_->Update(after);
  return true;
}

bool Transfer::KeepGoing() {
  if (!abort_.ok() || Cancelled()) return false;
  // libcurl's own low-speed check averages over seconds of history, so a
  // stall after a fast start goes unnoticed for long; this one doesn't.
  // The transport calls here about once a second even when nothing arrives.
  const absl::Duration idle = absl::Now() - last_byte_;
  if (idle > options_.stall_timeout) {
    abort_ = absl::DeadlineExceededError(
        absl::StrCat("downloading ", url_, ": no data for ", absl::FormatDuration(idle),
                     " (stall_timeout ", absl::FormatDuration(options_.stall_timeout), ")"));
    abort_retryable_ = true;
    return false;
  }
  if (watch_ != nullptr) {
    const std::lock_guard<std::mutex> lock(watch_->mu);
    if (watch_->split && !watch_->failure.ok()) return false;  // FinishSplit reports it
    if (watch_->split && idle > kSplitStreamPatience) {
      abort_ = absl::UnavailableError(absl::StrCat(
          "downloading ", url_, ": the first connection went quiet for ",
          absl::FormatDuration(idle), "; a ranged request fetches the rest of its share"));
      abort_retryable_ = true;
      return false;
    }
  }
  return true;
}

std::unique_ptr<ProgressDisplay> Transfer::MakeProgress(const std::string& label) const {
  if (!options_.progress) return nullptr;
  const bool terminal = options_.progress_is_terminal.value_or(
      ProgressDisplay::StyleFor(STDERR_FILENO, true) == ProgressDisplay::Style::kBar);
  ProgressDisplay::Options display;
  display.style = terminal ? ProgressDisplay::Style::kBar : ProgressDisplay::Style::kLines;
  display.label = label;
  display.width = ProgressDisplay::WidthFor(STDERR_FILENO);
  return std::make_unique<ProgressDisplay>(
      options_.progress_stream != nullptr ? options_.progress_stream : &std::cerr, display);
}

// From the head of the answer whose body we would keep.
bool Transfer::ShouldGoParallel() const {
  if (!parallel_ok_ || requested_connections_ == 1 || expected_end_ <= 0) return false;
  if (head_.status == 200 && !head_.accept_ranges) return false;
  // Ranges of one file only: every answer is checked against these.
  if (!IsStrongEtag(head_.etag) && head_.last_modified.empty()) return false;
  const RangePlan plan = PlanRanges(expected_end_ - sink_->bytes_appended(), requested_connections_,
                                    options_.range_bytes);
  return plan.connections >= 2;
}

// One ranged GET: its answer written in place, checked against the file
// the first answer described.
class Transfer::RangeFetch : public HttpResponseHandler {
 public:
  RangeFetch(Transfer& t, Parallel& p, size_t index, int64_t from, int64_t end)
      : t_(t),
        p_(p),
        index_(index),
        pos_(from),
        from_(from),
        end_(end),
        writing_(absl::StrCat("writing ", t.temp_path_)) {
    pending_.reserve(kRangeWriteBytes + kReceiveBufferBytes);
  }

  void OnHeaderLine(absl::string_view line) override {
    last_byte_ = absl::Now();
    if (!absl::StripAsciiWhitespace(line).empty()) {
      if (!head_done_) head_.AddLine(line);
      return;
    }
    if (head_done_ || head_.status < 200 || head_.status == 100) return;  // 1xx
    head_done_ = true;
    CheckHead();
  }

  bool OnBody(absl::string_view chunk) override {
    last_byte_ = absl::Now();
    if (!abort_.ok()) return false;
    if (!wanted_) {
      const size_t keep =
          std::min(chunk.size(), kErrorBodyBytes - std::min(kErrorBodyBytes, error_body_.size()));
      error_body_.append(chunk.data(), keep);
      return true;
    }
    const auto size = static_cast<int64_t>(chunk.size());
    if (pos_ + size > end_) {
      Lie(absl::StrCat("sent more than the ", end_ - from_, " bytes of range ", from_, "-",
                       end_ - 1));
      return false;
    }
    pending_.append(chunk.data(), chunk.size());
    pos_ += size;
    if (pending_.size() >= kRangeWriteBytes) return Commit();
    return true;
  }

  bool KeepGoing() override {
    if (!abort_.ok() || t_.Cancelled()) return false;
    {
      std::lock_guard<std::mutex> lock(p_.mu);
      if (!p_.failure.ok()) return false;
    }
    const absl::Duration idle = absl::Now() - last_byte_;
    if (idle > t_.options_.stall_timeout) {
      abort_ = absl::DeadlineExceededError(
          absl::StrCat("downloading ", p_.url, " (bytes ", from_, "-", end_ - 1, "): no data for ",
                       absl::FormatDuration(idle), " (stall_timeout ",
                       absl::FormatDuration(t_.options_.stall_timeout), ")"));
      abort_retryable_ = true;
      return false;
    }
    return true;
  }

  // After Perform: how this request ended.
  Outcome Finish(const HttpTransferResult& result) {
    // What arrived is kept whatever comes next: a retry asks for the rest.
    if (abort_.ok()) Commit();
    if (!abort_.ok()) return {abort_, abort_retryable_, std::nullopt};
    if (!result.status.ok()) {
      return {absl::Status(result.status.code(),
                           absl::StrCat(result.status.message(), " (bytes ", from_, "-", end_ - 1,
                                        ", after ", pos_ - from_, " of them)")),
              result.retryable, std::nullopt};
    }
    if (!head_done_) {
      return {absl::UnavailableError(absl::StrCat("GET ", p_.url, ": no answer")), true,
              std::nullopt};
    }
    if (!wanted_) {
      Outcome outcome{HttpError(head_.status, head_.reason, p_.url, error_body_),
                      IsRetryableHttpStatus(head_.status), std::nullopt};
      if ((head_.status == 429 || head_.status == 503) && !head_.retry_after.empty()) {
        outcome.retry_after = ParseRetryAfter(head_.retry_after, absl::Now());
      }
      return outcome;
    }
    if (pos_ != end_) {
      return {absl::DataLossError(absl::StrCat("downloading ", p_.url, ": the server sent ",
                                               pos_ - from_, " of the ", end_ - from_,
                                               " bytes of range ", from_, "-", end_ - 1)),
              true, std::nullopt};
    }
    return {absl::OkStatus(), false, std::nullopt};
  }

  // Whether the answer showed the server can't be trusted with ranges, or
  // that the file changed.
  bool fallback() const { return fallback_; }
  bool changed() const { return changed_; }

 private:
  bool SameFile() const {
    const ResumeRecord& r = t_.record_;
    return (head_.etag.empty() || r.etag.empty() || head_.etag == r.etag) &&
           (head_.last_modified.empty() || r.last_modified.empty() ||
            head_.last_modified == r.last_modified);
  }

  // Writes the bytes received since the last call at their place in the
  // file and tells the others (the prefix hasher, the progress bar). TLS
  // hands over a record (16 KiB) at a time; eight connections writing and
  // locking per record spent more time waiting on each other (the file's
  // inode lock, p_.mu) than writing.
  bool Commit() {
    if (pending_.empty()) return true;
    const auto size = static_cast<int64_t>(pending_.size());
    abort_ = WriteAllAt(t_.fd_, pending_, pos_ - size, writing_);
    if (!abort_.ok()) return false;
    pending_.clear();
    std::lock_guard<std::mutex> lock(p_.mu);
    p_.ranges[index_].done += size;
    p_.have += size;
    // Not yet while a split's stream still has its share.
    if (p_.hasher != nullptr) p_.hasher->Advance(ContiguousEnd(p_.ranges));
    if (t_.progress_ != nullptr) t_.progress_->Update(p_.have + p_.stream_pos);
    return p_.failure.ok();
  }

  void Lie(const std::string& what) {
    fallback_ = true;
    abort_ = absl::DataLossError(absl::StrCat("the server answered a request for bytes ", from_,
                                              "-", end_ - 1, " of ", p_.url, ": it ", what,
                                              "; downloading it in one stream instead"));
  }

  void CheckHead() {
    const int status = head_.status;
    if (status != 200 && status != 206 && status != 416 && !(status >= 300 && status < 400)) {
      return;  // an error: Finish reports it
    }
    if (!SameFile() || status == 416) {
      changed_ = true;
      abort_ = absl::DataLossError(absl::StrCat(p_.url, " changed on the server while it was ",
                                                "being downloaded (another ETag or Last-Modified ",
                                                "in the answer for bytes ", from_, "-", end_ - 1,
                                                "); starting over"));
      return;
    }
    if (status == 200) return Lie("sent the whole file (HTTP 200)");
    if (status != 206) return Lie(absl::StrCat("redirected (HTTP ", status, ")"));
    const std::optional<ContentRange> range = ParseContentRange(head_.content_range);
    if (!range.has_value() || range->start != from_ || range->end != end_ - 1 ||
        range->total != p_.total) {
      return Lie(absl::StrCat("sent \"", head_.content_range, "\""));
    }
    wanted_ = true;
  }

  Transfer& t_;
  Parallel& p_;
  const size_t index_;
  int64_t pos_;          // the next byte's offset in the file
  std::string pending_;  // received, not yet written: [pos_ - size, pos_)
  const int64_t from_;
  const int64_t end_;
  const std::string writing_;  // what a failed write says
  HttpResponseHead head_;
  bool head_done_ = false;
  bool wanted_ = false;
  bool fallback_ = false;
  bool changed_ = false;
  std::string error_body_;
  absl::Status abort_;
  bool abort_retryable_ = false;
  absl::Time last_byte_ = absl::Now();
};

Transfer::Outcome Transfer::FetchRange(Parallel& p, size_t index) {
  int failures = 0;
  while (true) {
    int64_t from = 0;
    int64_t end = 0;
    {
      std::lock_guard<std::mutex> lock(p.mu);
      const FileRange& r = p.ranges[index];
      from = r.start + r.done;
      end = r.end;
      ++p.requests;
    }
    HttpRequest request;
    request.url = p.url;
    if (p.send_token) request.headers.push_back(absl::StrCat("Authorization: token ", token_));
    request.headers.insert(request.headers.end(), options_.headers.begin(), options_.headers.end());
    request.headers.push_back(absl::StrCat("Range: bytes=", from, "-", end - 1));
    request.headers.push_back(absl::StrCat("If-Range: ", p.validator));
    request.user_agent = options_.user_agent;
    request.ca_file = options_.ca_file;
    request.connect_timeout = options_.connect_timeout;
    request.timeout = absl::InfiniteDuration();
    request.receive_buffer_bytes = kReceiveBufferBytes;
    RangeFetch fetch(*this, p, index, from, end);
    const HttpTransferResult result = transport_.Perform(request, fetch);
    Outcome outcome = fetch.Finish(result);
    if (outcome.status.ok()) return outcome;
    std::lock_guard<std::mutex> lock(p.mu);
    if (fetch.fallback()) p.fallback = true;
    if (fetch.changed()) p.changed = true;
    if (fetch.fallback() || fetch.changed() || !p.failure.ok() || Cancelled()) return outcome;
    if (!outcome.retryable || ++failures >= options_.max_attempts) return outcome;
    const absl::Duration delay = Backoff(failures, outcome.retry_after);
    if (delay > options_.max_retry_after) return outcome;
    p.mu.unlock();  // the other ranges go on meanwhile
    if (options_.on_retry) {
      const std::lock_guard<std::mutex> callback_lock(callback_mu_);
      options_.on_retry(url_, failures + 1, options_.max_attempts, outcome.status);
    }
    SleepUnlessCancelled(delay);
    p.mu.lock();
  }
}

void Transfer::RangeWorker(Parallel& p) {
  while (true) {
    size_t index = 0;
    {
      std::lock_guard<std::mutex> lock(p.mu);
      if (!p.failure.ok()) return;
      while (index < p.ranges.size() &&
             (p.ranges[index].taken ||
              p.ranges[index].start + p.ranges[index].done == p.ranges[index].end)) {
        ++index;
      }
      if (index == p.ranges.size()) return;
      p.ranges[index].taken = true;
    }
    const Outcome outcome = FetchRange(p, index);
    std::lock_guard<std::mutex> lock(p.mu);
    if (!outcome.status.ok()) {
      if (p.failure.ok()) p.failure = outcome.status;
      return;
    }
    RecordSpansLocked(p);
  }
}

// With p.mu held: the lock file's record lists the spans written so far.
// Best effort, as in StartBody: without it a later process refetches.
void Transfer::RecordSpansLocked(const Parallel& p) {
  record_.ranges = WrittenSpans(p.ranges);
  (void)WriteRecord(lock_->fd(), SerializeRangedRecord(record_));
}

// A parallel round's view of the answer whose head is in: the file, where
// it is (redirects resolved) and its validators, which the record takes.
void Transfer::TakeAnswer(Parallel& p) {
  p.total = expected_end_;
  p.url = hop_url_;
  p.send_token = ShouldSendToken(token_, hop_url_, url_, options_.token_hosts);
  record_.etag = head_.etag;
  record_.last_modified = head_.last_modified;
  record_.total = p.total;
  p.validator = IsStrongEtag(record_.etag) ? record_.etag : record_.last_modified;
}

Transfer::Outcome Transfer::RunParallel() {
  Parallel p;
  const std::string previous_etag = record_.etag;
  const std::string previous_last_modified = record_.last_modified;
  TakeAnswer(p);
  // The first gap (one stream's offset) and a killed transfer's spans are
  // kept, if this is the file they came from (a 206 to our If-Range said
  // so for the prefix; a 200 says nothing).
  if (head_.etag != previous_etag || head_.last_modified != previous_last_modified) {
    resume_spans_.clear();
  }
  const int64_t prefix = sink_->bytes_appended();
  sink_.reset();
  auto kept = [&](int64_t start) -> int64_t {
    if (start < prefix) return prefix;
    for (const auto& [span_start, span_end] : resume_spans_) {
      if (span_start <= start && start < span_end) return std::min(span_end, p.total);
    }
    return start;
  };
  int64_t missing = 0;
  const RangePlan plan = PlanRanges(p.total - prefix, requested_connections_, options_.range_bytes);
  // The ranges: every range_bytes, and cut where a kept span begins or ends
  // too (a split stream's ranges do not start at a multiple of ours), so
  // that no kept byte is fetched again.
  std::vector<int64_t> cuts;
  for (int64_t at = 0; at < p.total; at += plan.range_bytes) cuts.push_back(at);
  cuts.push_back(prefix);
  for (const auto& [span_start, span_end] : resume_spans_) {
    cuts.push_back(span_start);
    cuts.push_back(span_end);
  }
  for (int64_t& at : cuts) at = std::clamp<int64_t>(at, 0, p.total);
  cuts.push_back(p.total);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    FileRange r;
    r.start = cuts[i];
    r.end = cuts[i + 1];
    r.done = std::min(kept(r.start), r.end) - r.start;
    p.have += r.done;
    missing += r.end - r.start - r.done;
    p.ranges.push_back(r);
  }
  resume_spans_.clear();
  resumed_bytes_ = p.have;
  connections_ = static_cast<int>(
      std::min<int64_t>(plan.connections, (missing + plan.range_bytes - 1) / plan.range_bytes));
  connections_ = std::max(connections_, 1);
  record_.ranged = true;
  record_.ranges = WrittenSpans(p.ranges);
  // Before any byte lands out of order, so that no process ever takes this
  // file for a prefix.
  if (absl::Status s = WriteRecord(lock_->fd(), SerializeRangedRecord(record_)); !s.ok()) {
    fallback_ = true;
    return {s, false, std::nullopt};
  }
  if (progress_ != nullptr) {
    progress_ = MakeProgress(absl::StrCat(BaseName(dst_), " (", connections_, " connections)"));
    progress_->Start(p.total, p.have);
  }
  // The hasher also starts the write-back of what it has hashed.
  p.hasher = std::make_unique<download_internal::PrefixHasher>(fd_, options_.durable);
  p.hasher->Advance(ContiguousEnd(p.ranges));

  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(connections_));
  for (int i = 0; i < connections_; ++i) workers.emplace_back([this, &p] { RangeWorker(p); });
  for (std::thread& w : workers) w.join();
  return EndParallel(p);
}

// After the ranges of `p` are over: how the round ended, and the digest.
Transfer::Outcome Transfer::EndParallel(Parallel& p) {
  attempts_ += p.requests;
  if (p.fallback || p.changed) {
    fallback_ = p.fallback && !p.changed;
    restart_needed_ = p.changed;
    if (progress_ != nullptr) progress_->Finish(false);
    progress_ = MakeProgress(BaseName(dst_));
    connections_ = 1;
    return {p.failure, false, std::nullopt};
  }
  if (Cancelled()) {
    return {absl::CancelledError(
                absl::StrCat("download of ", url_, " cancelled; ", dst_, " was not touched")),
            false, std::nullopt};
  }
  if (!p.failure.ok()) return {p.failure, false, std::nullopt};
  absl::StatusOr<std::string> hex = p.hasher->Finish(p.total);
  if (!hex.ok()) return {hex.status(), false, std::nullopt};
  parallel_summary_ = FileSink::Summary{p.total, *std::move(hex)};
  return {absl::OkStatus(), false, std::nullopt};
}

// From StartBody, once the stream's head is in: the watchdog starts.
void Transfer::StartWatching() {
  watch_ = std::make_unique<Parallel>();
  Parallel& p = *watch_;
  // This answer's validators: an earlier attempt's ETag must not stand in
  // for one this answer lacks.
  TakeAnswer(p);
  p.stream_pos = sink_->bytes_appended();
  p.stream_limit = p.total;
  watchdog_ = std::thread([this] { Watchdog(); });
}

// Watches the stream's pace until it ends, the rest is too small to share,
// or it proves slow (then splits the file and returns).
void Transfer::Watchdog() {
  Parallel& p = *watch_;
  std::deque<std::pair<absl::Time, int64_t>> samples;  // (when, stream_pos)
  double best = 0;                                     // bytes per second
  std::unique_lock<std::mutex> lock(p.mu);
  samples.emplace_back(absl::Now(), p.stream_pos);
  while (true) {
    p.stream_over_changed.wait_for(lock, absl::ToChronoMilliseconds(kSplitCheck),
                                   [&p] { return p.stream_over; });
    if (p.stream_over || Cancelled()) return;
    const absl::Time now = absl::Now();
    samples.emplace_back(now, p.stream_pos);
    // The oldest sample kept is the newest that is a window old.
    while (samples.size() > 2 && now - samples[1].first >= kSplitWindow) samples.pop_front();
    const absl::Duration span = now - samples.front().first;
    if (span < kSplitWindow) continue;
    const int64_t remaining = p.total - p.stream_pos;
    if (PlanRanges(remaining, 0, options_.range_bytes).connections < 2) return;  // little left
    const double rate =
        static_cast<double>(p.stream_pos - samples.front().second) / absl::ToDoubleSeconds(span);
    best = std::max(best, rate);
    const bool slow = rate * absl::ToDoubleSeconds(kSplitAfter) < static_cast<double>(remaining);
    const bool throttled = rate < best / 3;
    if (slow || throttled) {
      SplitLocked(p);
      return;
    }
  }
}

// With p.mu held: the stream's share ends a little past where it is; the
// rest of the file goes to ranges over new connections.
void Transfer::SplitLocked(Parallel& p) {
  const int64_t split_at = std::min(p.total, p.stream_pos + kSplitMargin);
  const RangePlan plan = PlanRanges(p.total - split_at, 0, options_.range_bytes);
  std::vector<FileRange> ranges;
  FileRange share;  // the stream's: its bytes count once it has stopped
  share.end = split_at;
  share.taken = true;
  ranges.push_back(share);
  for (int64_t start = split_at; start < p.total; start += plan.range_bytes) {
    FileRange r;
    r.start = start;
    r.end = std::min(p.total, start + plan.range_bytes);
    ranges.push_back(r);
  }
  record_.ranged = true;
  record_.ranges.clear();
  // Before any byte lands out of order, so that no process ever takes this
  // file for a prefix. Without it, the stream carries on alone.
  if (!WriteRecord(lock_->fd(), SerializeRangedRecord(record_)).ok()) {
    record_.ranged = false;
    return;
  }
  p.ranges = std::move(ranges);
  p.stream_limit = split_at;
  p.split = true;
  // Beside the stream, whose thread then fetches only what it left of its
  // share (a capped stream's last bytes can take a while to come).
  const int workers = plan.connections;
  connections_ = workers + 1;
  if (progress_ != nullptr) {
    progress_->SetLabel(absl::StrCat(BaseName(dst_), " (", connections_, " connections)"));
  }
  p.workers.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    p.workers.emplace_back([this, &p] { RangeWorker(p); });
  }
}

// After the watched stream's request: stops the watchdog. True if it split
// the file (FinishSplit follows); false if the stream kept it to itself.
bool Transfer::StopWatching() {
  {
    const std::lock_guard<std::mutex> lock(watch_->mu);
    watch_->stream_over = true;
  }
  watch_->stream_over_changed.notify_all();
  watchdog_.join();
  if (watch_->split) return true;
  watch_.reset();
  return false;
}

// The split's stream has stopped (at its share's end, or short of it): its
// bytes join the ranges, its hash goes on over them, and this thread
// fetches what the stream left of its share, if anything.
Transfer::Outcome Transfer::FinishSplit(const Outcome& stream) {
  Parallel& p = *watch_;
  absl::StatusOr<Sha256> hasher = sink_->TakeHasher();
  const int64_t streamed = sink_->bytes_appended();
  sink_.reset();
  bool share_left = false;  // the stream broke off before its share's end
  {
    const std::lock_guard<std::mutex> lock(p.mu);
    FileRange& share = p.ranges[0];  // still taken: the workers leave it be
    share.done = std::min(streamed, share.end);
    share_left = share.done < share.end;
    p.have += share.done;
    p.stream_pos = 0;
    if (!hasher.ok()) {
      if (p.failure.ok()) p.failure = hasher.status();
    } else if (share_left && !stream.retryable && p.failure.ok()) {
      p.failure = stream.status;  // e.g. the disk is full: a range would fail alike
    }
    if (p.failure.ok()) {
      p.hasher = std::make_unique<download_internal::PrefixHasher>(
          fd_, share.done, *std::move(hasher), options_.durable);
      p.hasher->Advance(ContiguousEnd(p.ranges));
      RecordSpansLocked(p);
    }
    share_left = share_left && p.failure.ok();
  }
  if (share_left) {
    const Outcome outcome = FetchRange(p, 0);
    const std::lock_guard<std::mutex> lock(p.mu);
    if (!outcome.status.ok()) {
      if (p.failure.ok()) p.failure = outcome.status;
    } else {
      RecordSpansLocked(p);
    }
  }
  for (std::thread& w : p.workers) w.join();
  p.workers.clear();
  Outcome outcome = EndParallel(p);
  watch_.reset();
  return outcome;
}

absl::Duration Transfer::Backoff(int failures, const std::optional<absl::Duration>& retry_after) {
  if (retry_after.has_value()) return *retry_after;
  return download_internal::Backoff(options_.initial_backoff, options_.max_backoff, failures);
}

void Transfer::SleepUnlessCancelled(absl::Duration d) {
  if (options_.cancel == nullptr && !CancellationRequested()) {
    options_.sleep(d);
    return;
  }
  const absl::Time end = absl::Now() + d;
  while (!Cancelled() && absl::Now() < end) {
    options_.sleep(std::min(absl::Milliseconds(50), end - absl::Now()));
  }
}

absl::StatusOr<DownloadResult> Transfer::Publish() {
  FileSink::Summary summary;
  if (parallel_summary_.has_value()) {
    summary = *parallel_summary_;
  } else {
    HUB_ASSIGN_OR_RETURN(summary, sink_->Finish());
  }
  sink_.reset();
  if (progress_ != nullptr) progress_->Finish(true);
  if (options_.hash_prefix.has_value()) {
    HUB_RETURN_IF_ERROR(CheckHashPrefix(summary.sha256_hex, *options_.hash_prefix));
  }
  // One stream over a parallel transfer's file may leave bytes past the end.
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size > summary.bytes &&
      ::ftruncate(fd_, summary.bytes) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("truncating ", temp_path_));
  }
  if (options_.durable && ::fsync(fd_) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("flushing ", temp_path_, " to disk"));
  }
  ::close(fd_);
  fd_ = -1;
  if (::rename(temp_path_.c_str(), dst_.c_str()) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("moving ", temp_path_, " onto ", dst_));
  }
  temp_path_.clear();
  if (options_.durable) HUB_RETURN_IF_ERROR(SyncDirectory(dir_));
  (void)WriteRecord(lock_->fd(), "");
  DownloadResult result;
  result.path = dst_;
  result.sha256 = summary.sha256_hex;
  result.bytes = summary.bytes;
  result.attempts = attempts_;
  result.resumed_bytes = resumed_bytes_;
  result.final_url = final_url_;
  result.connections = connections_;
  return result;
}

void Transfer::Discard() {
  sink_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
  if (lock_.has_value() && lock_->fd() >= 0) (void)WriteRecord(lock_->fd(), "");
}

}  // namespace

absl::StatusOr<DownloadResult> DownloadUrlToFile(absl::string_view url, absl::string_view dst,
                                                 const DownloadOptions& options) {
  Transfer transfer(std::string(url), ExpandUser(dst), options);
  return transfer.Run();
}

}  // namespace hub
