#include "hub/git/remote.h"

#include <fcntl.h>
#include <git2.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/base/cancellation.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/download/http_get.h"
#include "hub/fs/files.h"
#include "hub/fs/path.h"
#include "hub/fs/tree_links.h"

namespace hub {
namespace {

// --- libgit2 plumbing ---------------------------------------------------------

// libgit2's global state, set up once and never torn down: other threads (or
// static destructors) may still use it at exit.
void EnsureLibgit2() {
  static const int init = git_libgit2_init();
  (void)init;
}

struct GitDeleter {
  void operator()(git_repository* p) const { git_repository_free(p); }
  void operator()(git_remote* p) const { git_remote_free(p); }
  void operator()(git_object* p) const { git_object_free(p); }
  void operator()(git_commit* p) const { git_commit_free(p); }
  void operator()(git_tree* p) const { git_tree_free(p); }
  void operator()(git_blob* p) const { git_blob_free(p); }
  void operator()(git_reference* p) const { git_reference_free(p); }
};
template <typename T>
using GitPtr = std::unique_ptr<T, GitDeleter>;

// libgit2's text for a redirect it refuses: from https to another scheme
// ("cannot redirect from 'https' to 'http'"), or, after the first request,
// to another host.
constexpr char kRefusedRedirect[] = "cannot redirect from '";
constexpr char kRefusedDowngrade[] = "cannot redirect from 'https' to";

// A status for libgit2 result `error` (< 0), with git_error_last()'s text:
// "<what>: <libgit2's message>".
absl::Status GitErrorToStatus(int error, absl::string_view what) {
  const git_error* last = git_error_last();
  const std::string message =
      last != nullptr && last->message != nullptr ? last->message : "unknown libgit2 error";
  const int klass = last != nullptr ? last->klass : GIT_ERROR_NONE;
  absl::StatusCode code = absl::StatusCode::kUnknown;
  std::string note;
  switch (error) {
    case GIT_ENOTFOUND:
      code = absl::StatusCode::kNotFound;
      break;
    case GIT_EEXISTS:
      code = absl::StatusCode::kAlreadyExists;
      break;
    case GIT_EAUTH:
      code = absl::StatusCode::kNotFound;
      note =
          " (the server asked for credentials; for GitHub this means the repository doesn't "
          "exist or is private)";
      break;
    case GIT_ECERTIFICATE:
      code = absl::StatusCode::kUnavailable;
      break;
    case GIT_EUSER:
      code = absl::StatusCode::kCancelled;
      break;
    case GIT_EINVALIDSPEC:
    case GIT_EINVALID:
    case GIT_EAMBIGUOUS:
      code = absl::StatusCode::kInvalidArgument;
      break;
    default:
      // libgit2 1.5 reports a missing local repository and socket failures
      // with plain error codes; only the class and text tell them apart.
      if (absl::StartsWith(message, kRefusedRedirect)) {
        // A redirect libgit2 won't follow (DowngradeError says more for https).
        code = absl::StatusCode::kFailedPrecondition;
      } else if ((klass == GIT_ERROR_HTTP && absl::StrContains(message, "404")) ||
                 absl::StartsWith(message, "failed to resolve path") ||
                 absl::StartsWith(message, "could not find repository") ||
                 (absl::StartsWith(message, "remote error:") &&
                  (absl::StrContains(message, "not exported") ||
                   absl::StrContains(message, "not found") ||
                   absl::StrContains(message, "does not exist")))) {
        code = absl::StatusCode::kNotFound;
      } else if (klass == GIT_ERROR_NET || klass == GIT_ERROR_SSL || klass == GIT_ERROR_HTTP ||
                 klass == GIT_ERROR_SSH || absl::StartsWith(message, "failed to connect to") ||
                 absl::StartsWith(message, "failed to resolve address") ||
                 absl::StartsWith(message, "error receiving socket data") ||
                 message == "early EOF") {
        code = absl::StatusCode::kUnavailable;
      }
      break;
  }
  return absl::Status(code, absl::StrCat(what, ": ", message, note));
}

// Passed to every remote operation: enforces the deadline and Ctrl-C
// (hub::RequestCancellation) from the callbacks libgit2 makes while it works.
struct CallbackState {
  absl::Time deadline;
  bool timed_out = false;

  int Check() {
    if (CancellationRequested()) {
      git_error_set_str(GIT_ERROR_CALLBACK, "interrupted");
      return GIT_EUSER;
    }
    if (absl::Now() < deadline) return 0;
    timed_out = true;
    git_error_set_str(GIT_ERROR_CALLBACK, "time limit reached");
    return GIT_EUSER;
  }
};

int OnSideband(const char* /*str*/, int /*len*/, void* payload) {
  return static_cast<CallbackState*>(payload)->Check();
}

int OnTransferProgress(const git_indexer_progress* /*stats*/, void* payload) {
  return static_cast<CallbackState*>(payload)->Check();
}

int OnCertificateCheck(git_cert* /*cert*/, int /*valid*/, const char* /*host*/, void* payload) {
  const int error = static_cast<CallbackState*>(payload)->Check();
  return error != 0 ? error : GIT_PASSTHROUGH;  // libgit2's own verdict
}

git_remote_callbacks MakeCallbacks(CallbackState* state) {
  git_remote_callbacks callbacks;
  git_remote_init_callbacks(&callbacks, GIT_REMOTE_CALLBACKS_VERSION);
  callbacks.sideband_progress = OnSideband;
  callbacks.transfer_progress = OnTransferProgress;
  callbacks.certificate_check = OnCertificateCheck;
  callbacks.payload = state;
  return callbacks;
}

// libgit2 refused to follow `url`'s server from https:// to http:// but
// does not say where to: ask the server once more, with HttpGet (the same
// first request libgit2 makes, and the same refusal, which names both URLs).
// The http:// URL is never requested.
absl::Status DowngradeError(absl::string_view doing, const std::string& url,
                            const GitOptions& options, const absl::Status& libgit2_status) {
  HttpGetOptions probe;
  probe.ca_file = options.ca_file;
  probe.send_token = false;
  probe.max_attempts = 1;
  probe.timeout = std::min(options.timeout, absl::Seconds(30));
  probe.connect_timeout = probe.timeout;
  std::string refs_url(absl::StripSuffix(url, "/"));
  absl::StrAppend(&refs_url, "/info/refs?service=git-upload-pack");
  const absl::StatusOr<HttpGetResponse> answer = HttpGet(refs_url, probe);
  if (!answer.ok() && answer.status().code() == absl::StatusCode::kFailedPrecondition) {
    return absl::FailedPreconditionError(
        absl::StrCat(doing, " ", url, ": ", answer.status().message()));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      libgit2_status.message(),
      " (the server redirected the https:// remote to a plain http:// URL, where anyone on the "
      "network could read or change what is fetched; ask the server's owner to redirect to an "
      "https:// URL)"));
}

// The status for a failed remote operation on `url`.
absl::Status RemoteError(int error, const CallbackState& state, absl::string_view doing,
                         const std::string& url, const GitOptions& options) {
  // A signal also interrupts libgit2's blocking socket calls, which then
  // fail with EINTR ("Interrupted system call"), not through a callback.
  if (CancellationRequested())
    return absl::CancelledError(absl::StrCat(doing, " ", url, ": interrupted"));
  if (state.timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(doing, " ", url, ": time limit reached"));
  }
  absl::Status status = GitErrorToStatus(error, absl::StrCat(doing, " ", url));
  if (absl::StrContains(status.message(), kRefusedDowngrade)) {
    return DowngradeError(doing, url, options, status);
  }
  return status;
}

// libgit2 blocks in connect() and recv() with no callback to say "stop",
// and a Ctrl-C that lands just before such a call is not seen by it. So
// while a remote operation runs, a watcher thread re-signals the operating
// thread with kWakeSignal (a handler that does nothing, installed without
// SA_RESTART) every few milliseconds once cancellation is requested: the
// blocking call fails with EINTR, libgit2 returns, RemoteError says
// kCancelled. SIGURG is ignored by default and only ever sent for TCP
// urgent data, which nothing here uses.
constexpr int kWakeSignal = SIGURG;
constexpr absl::Duration kWakeInterval = absl::Milliseconds(20);

extern "C" void IgnoreWake(int /*signal*/) {}

class CancellationWaker {
 public:
  CancellationWaker() : target_(pthread_self()) {
    static const bool kInstalled = [] {
      struct sigaction old {};
      sigaction(kWakeSignal, nullptr, &old);
      if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) return false;  // the program's
      struct sigaction action {};
      action.sa_handler = &IgnoreWake;
      sigemptyset(&action.sa_mask);
      return sigaction(kWakeSignal, &action, nullptr) == 0;
    }();
    (void)kInstalled;
    watcher_ = std::thread([this] { Watch(); });
  }
  CancellationWaker(const CancellationWaker&) = delete;
  CancellationWaker& operator=(const CancellationWaker&) = delete;
  ~CancellationWaker() {
    {
      absl::MutexLock lock(&mutex_);
      done_ = true;
    }
    watcher_.join();
  }

 private:
  void Watch() {
    absl::MutexLock lock(&mutex_);
    while (!done_) {
      mutex_.AwaitWithTimeout(absl::Condition(&done_), kWakeInterval);
      if (!done_ && CancellationRequested()) pthread_kill(target_, kWakeSignal);
    }
  }

  const pthread_t target_;
  absl::Mutex mutex_;
  bool done_ = false;  // guarded by mutex_
  std::thread watcher_;
};

// Offline, no remote but a local one (file:// or a path) is contacted.
absl::Status CheckRemoteAllowed(const std::string& url, absl::string_view doing) {
  if (!absl::StrContains(url, "://") || absl::StartsWith(url, "file://")) {
    return absl::OkStatus();
  }
  return CheckNetworkAllowed(absl::StrCat(doing, " ", url));
}

// --- the process-wide CA setting -------------------------------------------------

// Debian's libgit2 (mbedTLS) loads this file when it starts.
constexpr char kDefaultCaFile[] = "/etc/ssl/certs/ca-certificates.crt";

std::shared_mutex& CaMutex() {
  static auto* mutex = new std::shared_mutex();
  return *mutex;
}
std::string& CurrentCaFile() {  // guarded by CaMutex(); "" is libgit2's default
  static auto* file = new std::string();
  return *file;
}

// Holds libgit2's CA setting at `ca_file` ("" = the default) while it lives.
// Only https URLs depend on it; others don't take the lock.
class CaScope {
 public:
  CaScope() = default;
  CaScope(const CaScope&) = delete;
  CaScope& operator=(const CaScope&) = delete;
  ~CaScope() {
    if (locked_) CaMutex().unlock_shared();
  }

  absl::Status Enter(absl::string_view url, const std::string& ca_file) {
    if (!absl::StartsWithIgnoreCase(url, "https://")) return absl::OkStatus();
    CaMutex().lock_shared();
    while (CurrentCaFile() != ca_file) {
      CaMutex().unlock_shared();
      {
        std::unique_lock<std::shared_mutex> lock(CaMutex());
        if (CurrentCaFile() != ca_file) {
          const char* file = ca_file.empty() ? kDefaultCaFile : ca_file.c_str();
          const int error = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, nullptr);
          if (error < 0) {
            const absl::Status status =
                GitErrorToStatus(error, absl::StrCat("loading CA certificates from ", file));
            return absl::InvalidArgumentError(status.message());
          }
          CurrentCaFile() = ca_file;
        }
      }
      CaMutex().lock_shared();
    }
    locked_ = true;
    return absl::OkStatus();
  }

 private:
  bool locked_ = false;
};

// Redirects: git's own default, set here so that no http.followRedirects
// in the user's git configuration changes it. The first request may be
// redirected to another host (a moved repository), later ones may not.
// Whatever this says, libgit2 never follows https:// to another scheme.
constexpr git_remote_redirect_t kFollowRedirects = GIT_REMOTE_REDIRECT_INITIAL;

git_proxy_options AutoProxy() {
  git_proxy_options proxy;
  git_proxy_options_init(&proxy, GIT_PROXY_OPTIONS_VERSION);
  proxy.type = GIT_PROXY_AUTO;  // http.proxy, then the *_proxy variables
  return proxy;
}

std::string OidHex(const git_oid& oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof(hex), &oid);
  return hex;
}

bool IsHex(absl::string_view s) {
  for (const char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// --- ResolveRef -------------------------------------------------------------------

constexpr char kHeads[] = "refs/heads/";
constexpr char kTags[] = "refs/tags/";
constexpr size_t kMinPrefix = 4;

absl::Status NotFound(absl::string_view ref, absl::string_view url, absl::string_view extra = "") {
  return absl::NotFoundError(absl::StrCat(
      "Cannot find ", ref, " in ", url,
      ". If it's a commit from a forked repo, please call hub.load() with forked repo directly.",
      extra));
}

// The commit a branch or tag ref stands for (an annotated tag's peeled oid).
std::string HeadCommit(const RemoteRef& r) { return r.peeled_oid.empty() ? r.oid : r.peeled_oid; }

ResolvedRef FromRemote(const RemoteRef& r) {
  ResolvedRef out;
  out.kind = absl::StartsWith(r.name, kHeads) ? "branch" : "tag";
  out.full_name = r.name;
  out.commit = HeadCommit(r);
  out.fetch_ref = r.name;
  return out;
}

// --- FetchTree --------------------------------------------------------------------

// Removes a directory tree when it goes out of scope, unless released.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  ~RemoveOnExit() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

enum class Kind { kDir, kFile, kExecutable, kSymlink, kSubmodule };

struct TreeEntry {
  std::string path;  // relative, '/'-separated
  Kind kind = Kind::kFile;
  git_oid oid{};
  std::string link_target;  // for kSymlink
};

struct WalkState {
  std::vector<TreeEntry> entries;
  absl::Status status;
};

absl::Status CheckEntryName(absl::string_view root, absl::string_view name) {
  const bool bad = name.empty() || name == "." || name == ".." ||
                   absl::EqualsIgnoreCase(name, ".git") || absl::StrContains(name, '/');
  if (!bad) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("the tree holds an entry named \"",
                                                 absl::CHexEscape(name), "\" in \"", root,
                                                 "\", which can't be written safely"));
}

int CollectEntry(const char* root, const git_tree_entry* entry, void* payload) {
  auto* state = static_cast<WalkState*>(payload);
  const absl::string_view name = git_tree_entry_name(entry);
  state->status = CheckEntryName(root, name);
  if (!state->status.ok()) return -1;
  TreeEntry out;
  out.path = absl::StrCat(root, name);
  out.oid = *git_tree_entry_id(entry);
  switch (git_tree_entry_filemode(entry)) {
    case GIT_FILEMODE_TREE:
      out.kind = Kind::kDir;
      break;
    case GIT_FILEMODE_BLOB:
      out.kind = Kind::kFile;
      break;
    case GIT_FILEMODE_BLOB_EXECUTABLE:
      out.kind = Kind::kExecutable;
      break;
    case GIT_FILEMODE_LINK:
      out.kind = Kind::kSymlink;
      break;
    case GIT_FILEMODE_COMMIT:
      out.kind = Kind::kSubmodule;
      break;
    default:
      state->status = absl::InvalidArgumentError(
          absl::StrCat("the tree entry ", out.path, " has an unknown mode ",
                       absl::Hex(git_tree_entry_filemode_raw(entry))));
      return -1;
  }
  state->entries.push_back(std::move(out));
  return 0;
}

// OK when symbolic link `link` resolves inside the tree, following the
// tree's own links on the way (a link "up" -> ".." is fine by itself, but
// "x" -> "sub/up/.." through it is not).
absl::Status CheckSymlinkTarget(const std::map<std::string, const TreeEntry*>& by_path,
                                const TreeEntry& link) {
  auto fail = [&link](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("the tree's symbolic link ", link.path, " -> \"",
                                                   absl::CHexEscape(link.link_target), "\" ", why));
  };
  if (absl::StrContains(link.link_target, '\0')) return fail("holds a NUL byte");
  const LinkEscape escape = ResolveTreeLink(
      link.path, link.link_target, [&by_path](const std::string& path) -> const std::string* {
        auto it = by_path.find(path);
        return it != by_path.end() && it->second->kind == Kind::kSymlink ? &it->second->link_target
                                                                         : nullptr;
      });
  switch (escape) {
    case LinkEscape::kNone:
      return absl::OkStatus();
    case LinkEscape::kNoTarget:
      return fail("has no target");
    case LinkEscape::kAbsolute:
      return fail("points to an absolute path");
    case LinkEscape::kOutside:
      return fail("leads outside the tree");
    case LinkEscape::kLoop:
      return fail("is in a loop or too long a chain of links");
  }
  return absl::InternalError("unknown LinkEscape");
}

absl::StatusOr<GitPtr<git_blob>> LookupBlob(git_repository* repo, const TreeEntry& entry) {
  git_blob* blob = nullptr;
  const int error = git_blob_lookup(&blob, repo, &entry.oid);
  if (error < 0) return GitErrorToStatus(error, absl::StrCat("reading the blob of ", entry.path));
  return GitPtr<git_blob>(blob);
}

absl::Status WriteBlob(git_repository* repo, const TreeEntry& entry, const std::string& path) {
  HUB_ASSIGN_OR_RETURN(GitPtr<git_blob> blob, LookupBlob(repo, entry));
  const mode_t mode = entry.kind == Kind::kExecutable ? 0777 : 0666;  // less the umask
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("creating ", path));
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  auto left = static_cast<size_t>(git_blob_rawsize(blob.get()));
  while (left > 0) {
    const ssize_t n = write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return ErrnoToStatus(err, absl::StrCat("writing ", path));
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (close(fd) != 0) return ErrnoToStatus(errno, absl::StrCat("closing ", path));
  return absl::OkStatus();
}

// Writes `entries` (parents before children) under `root`, which exists.
absl::Status WriteTree(git_repository* repo, std::vector<TreeEntry>& entries,
                       const std::string& root) {
  // Read every link's target and check them all before writing anything.
  std::map<std::string, const TreeEntry*> by_path;
  for (TreeEntry& entry : entries) {
    if (entry.kind == Kind::kSymlink) {
      HUB_ASSIGN_OR_RETURN(GitPtr<git_blob> blob, LookupBlob(repo, entry));
      entry.link_target.assign(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                               static_cast<size_t>(git_blob_rawsize(blob.get())));
    }
    by_path[entry.path] = &entry;
  }
  for (const TreeEntry& entry : entries) {
    if (entry.kind == Kind::kSymlink) HUB_RETURN_IF_ERROR(CheckSymlinkTarget(by_path, entry));
  }
  // Directories and files first, links last: no path written through a link.
  for (const TreeEntry& entry : entries) {
    const std::string path = absl::StrCat(root, "/", entry.path);
    switch (entry.kind) {
      case Kind::kDir:
      case Kind::kSubmodule:  // an empty directory, as git archive writes it
        if (mkdir(path.c_str(), 0777) != 0) {
          return ErrnoToStatus(errno, absl::StrCat("creating directory ", path));
        }
        break;
      case Kind::kFile:
      case Kind::kExecutable:
        HUB_RETURN_IF_ERROR(WriteBlob(repo, entry, path));
        break;
      case Kind::kSymlink:
        break;
    }
  }
  for (const TreeEntry& entry : entries) {
    if (entry.kind != Kind::kSymlink) continue;
    const std::string path = absl::StrCat(root, "/", entry.path);
    if (symlink(entry.link_target.c_str(), path.c_str()) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("creating symbolic link ", path));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFetchArguments(const ResolvedRef& ref, const std::string& dest_dir,
                                 const std::string& scratch_dir) {
  int valid = 0;
  if ((!absl::StartsWith(ref.fetch_ref, kHeads) && !absl::StartsWith(ref.fetch_ref, kTags)) ||
      git_reference_name_is_valid(&valid, ref.fetch_ref.c_str()) < 0 || valid == 0) {
    return absl::InvalidArgumentError(absl::StrCat("fetch_ref \"", absl::CHexEscape(ref.fetch_ref),
                                                   "\" is not a branch or tag ref"));
  }
  if (ref.kind == "commit" && (ref.commit.size() != GIT_OID_HEXSZ || !IsHex(ref.commit))) {
    return absl::InvalidArgumentError(
        absl::StrCat("commit \"", absl::CHexEscape(ref.commit), "\" is not 40 hex digits"));
  }
  if (dest_dir.empty()) return absl::InvalidArgumentError("empty destination directory");
  struct stat st {};
  if (lstat(dest_dir.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(dest_dir, " already exists"));
  }
  for (const std::string& dir : {DirName(dest_dir), scratch_dir}) {
    if (stat(dir.c_str(), &st) != 0) return ErrnoToStatus(errno, dir);
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(dir, " is not a directory"));
    }
  }
  return absl::OkStatus();
}

// The commit to write, from the fetched repository.
absl::StatusOr<GitPtr<git_commit>> FetchedCommit(git_repository* repo, const ResolvedRef& ref,
                                                 const std::string& local_ref,
                                                 const std::string& url) {
  git_object* object = nullptr;
  if (ref.kind == "commit") {
    git_oid oid;
    int error = git_oid_fromstr(&oid, ref.commit.c_str());
    if (error >= 0) error = git_object_lookup(&object, repo, &oid, GIT_OBJECT_COMMIT);
    GitPtr<git_object> found(object);
    // Local transports send more than was asked for: insist that the commit
    // is the fetched ref's or one of its ancestors.
    git_oid tip;
    if (error >= 0) error = git_reference_name_to_id(&tip, repo, local_ref.c_str());
    if (error >= 0 && git_oid_cmp(&tip, &oid) != 0) {
      git_object* tip_commit = nullptr;
      error = git_object_lookup(&tip_commit, repo, &tip, GIT_OBJECT_ANY);
      GitPtr<git_object> tip_object(tip_commit);
      git_object* peeled = nullptr;
      if (error >= 0) error = git_object_peel(&peeled, tip_object.get(), GIT_OBJECT_COMMIT);
      GitPtr<git_object> peeled_object(peeled);
      if (error >= 0) {
        error = git_graph_descendant_of(repo, git_object_id(peeled_object.get()), &oid);
        if (error == 0) error = GIT_ENOTFOUND;
      }
    }
    if (error < 0) {
      if (error == GIT_ENOTFOUND) {
        return absl::NotFoundError(
            absl::StrCat("commit ", ref.commit, " is not in ", ref.fetch_ref, " of ", url));
      }
      return GitErrorToStatus(
          error, absl::StrCat("finding commit ", ref.commit, " in ", ref.fetch_ref, " of ", url));
    }
    object = found.release();
  } else {
    git_reference* raw = nullptr;
    int error = git_reference_lookup(&raw, repo, local_ref.c_str());
    GitPtr<git_reference> fetched(raw);
    if (error == GIT_ENOTFOUND) {
      return absl::NotFoundError(absl::StrCat(ref.fetch_ref, " is no longer in ", url));
    }
    if (error >= 0) error = git_reference_peel(&object, fetched.get(), GIT_OBJECT_COMMIT);
    if (error < 0) {
      return GitErrorToStatus(error, absl::StrCat("finding the commit of ", ref.fetch_ref));
    }
  }
  return GitPtr<git_commit>(reinterpret_cast<git_commit*>(object));
}

}  // namespace

absl::StatusOr<std::vector<RemoteRef>> LsRemote(const std::string& url, const GitOptions& options) {
  HUB_RETURN_IF_ERROR(CheckRemoteAllowed(url, "listing refs of"));
  EnsureLibgit2();
  CaScope ca;
  HUB_RETURN_IF_ERROR(ca.Enter(url, options.ca_file));
  git_remote* raw_remote = nullptr;
  int error = git_remote_create_detached(&raw_remote, url.c_str());
  if (error < 0) return GitErrorToStatus(error, absl::StrCat("bad remote URL ", url));
  GitPtr<git_remote> remote(raw_remote);

  CallbackState state{absl::Now() + options.timeout};
  git_remote_connect_options connect;
  git_remote_connect_options_init(&connect, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
  connect.callbacks = MakeCallbacks(&state);
  connect.proxy_opts = AutoProxy();
  connect.follow_redirects = kFollowRedirects;
  {
    CancellationWaker waker;
    error = git_remote_connect_ext(remote.get(), GIT_DIRECTION_FETCH, &connect);
  }
  if (error < 0) return RemoteError(error, state, "listing refs of", url, options);

  const git_remote_head** heads = nullptr;
  size_t count = 0;
  error = git_remote_ls(&heads, &count, remote.get());
  if (error < 0) return RemoteError(error, state, "listing refs of", url, options);
  std::vector<RemoteRef> refs;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < count; ++i) {
    const git_remote_head* head = heads[i];
    absl::string_view name = head->name;
    if (absl::ConsumeSuffix(&name, "^{}")) {
      auto it = index.find(std::string(name));
      if (it != index.end()) refs[it->second].peeled_oid = OidHex(head->oid);
      continue;
    }
    RemoteRef ref;
    ref.name = std::string(name);
    ref.oid = OidHex(head->oid);
    if (head->symref_target != nullptr) ref.symref_target = head->symref_target;
    index[ref.name] = refs.size();
    refs.push_back(std::move(ref));
  }
  git_remote_disconnect(remote.get());
  return refs;
}

absl::StatusOr<ResolvedRef> ResolveRef(const std::vector<RemoteRef>& refs, absl::string_view ref,
                                       absl::string_view url_for_messages) {
  auto find = [&refs](absl::string_view full_name) -> const RemoteRef* {
    for (const RemoteRef& r : refs) {
      if (r.name == full_name) return &r;
    }
    return nullptr;
  };
  if (absl::StartsWith(ref, kHeads) || absl::StartsWith(ref, kTags)) {
    const RemoteRef* found = find(ref);
    if (found == nullptr) return NotFound(ref, url_for_messages);
    return FromRemote(*found);
  }
  if (!ref.empty()) {
    const RemoteRef* branch = find(absl::StrCat(kHeads, ref));
    const RemoteRef* tag = find(absl::StrCat(kTags, ref));
    if (branch != nullptr) {
      ResolvedRef out = FromRemote(*branch);
      out.ambiguous = tag != nullptr;
      return out;
    }
    if (tag != nullptr) return FromRemote(*tag);
  }
  if (ref.empty() || ref.size() > GIT_OID_HEXSZ || !IsHex(ref)) {
    return NotFound(ref, url_for_messages);
  }
  if (ref.size() < kMinPrefix) {
    return NotFound(ref, url_for_messages,
                    absl::StrCat(" (a commit prefix needs at least ", kMinPrefix, " hex digits)"));
  }
  const std::string prefix = absl::AsciiStrToLower(ref);
  std::map<std::string, const RemoteRef*> matches;  // commit -> first ref naming it
  for (const RemoteRef& r : refs) {
    if (!absl::StartsWith(r.name, kHeads) && !absl::StartsWith(r.name, kTags)) continue;
    const std::string commit = HeadCommit(r);
    if (absl::StartsWith(commit, prefix)) matches.emplace(commit, &r);
  }
  if (matches.empty()) return NotFound(ref, url_for_messages);
  if (matches.size() > 1) {
    std::vector<std::string> described;
    described.reserve(matches.size());
    for (const auto& [commit, r] : matches)
      described.push_back(absl::StrCat(commit, " (", r->name, ")"));
    return absl::InvalidArgumentError(absl::StrCat("commit prefix ", ref, " is ambiguous in ",
                                                   url_for_messages, ": it matches ",
                                                   absl::StrJoin(described, ", ")));
  }
  ResolvedRef out;
  out.kind = "commit";
  out.commit = matches.begin()->first;
  out.fetch_ref = matches.begin()->second->name;
  return out;
}

absl::StatusOr<std::string> FetchTree(const std::string& url, const ResolvedRef& ref,
                                      const std::string& dest_dir, const std::string& scratch_dir,
                                      const GitOptions& options) {
  HUB_RETURN_IF_ERROR(CheckRemoteAllowed(url, "fetching"));
  EnsureLibgit2();
  HUB_RETURN_IF_ERROR(CheckFetchArguments(ref, dest_dir, scratch_dir));
  CaScope ca;
  HUB_RETURN_IF_ERROR(ca.Enter(url, options.ca_file));

  std::string scratch = absl::StrCat(scratch_dir, "/git-fetch.XXXXXX");
  if (mkdtemp(scratch.data()) == nullptr) {
    return ErrnoToStatus(errno, absl::StrCat("creating a directory like ", scratch));
  }
  RemoveOnExit remove_scratch(scratch);
  git_repository* raw_repo = nullptr;
  int error = git_repository_init(&raw_repo, scratch.c_str(), /*is_bare=*/1);
  if (error < 0) return GitErrorToStatus(error, absl::StrCat("creating a repository in ", scratch));
  GitPtr<git_repository> repo(raw_repo);
  git_remote* raw_remote = nullptr;
  error = git_remote_create_anonymous(&raw_remote, repo.get(), url.c_str());
  if (error < 0) return GitErrorToStatus(error, absl::StrCat("bad remote URL ", url));
  GitPtr<git_remote> remote(raw_remote);

  CallbackState state{absl::Now() + options.timeout};
  git_fetch_options fetch;
  git_fetch_options_init(&fetch, GIT_FETCH_OPTIONS_VERSION);
  fetch.callbacks = MakeCallbacks(&state);
  fetch.proxy_opts = AutoProxy();
  fetch.follow_redirects = kFollowRedirects;
  fetch.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  fetch.prune = GIT_FETCH_NO_PRUNE;
  fetch.update_fetchhead = 0;
  const std::string local_ref = "refs/torchhub/fetched";
  std::string refspec = absl::StrCat("+", ref.fetch_ref, ":", local_ref);
  char* refspec_list[] = {refspec.data()};
  const git_strarray refspecs = {refspec_list, 1};
  {
    CancellationWaker waker;
    error = git_remote_fetch(remote.get(), &refspecs, &fetch, nullptr);
  }
  if (error < 0) {
    return RemoteError(error, state, absl::StrCat("fetching ", ref.fetch_ref, " from"), url,
                       options);
  }

  HUB_ASSIGN_OR_RETURN(GitPtr<git_commit> commit, FetchedCommit(repo.get(), ref, local_ref, url));
  const std::string sha = OidHex(*git_commit_id(commit.get()));
  git_tree* raw_tree = nullptr;
  error = git_commit_tree(&raw_tree, commit.get());
  if (error < 0) return GitErrorToStatus(error, absl::StrCat("reading the tree of ", sha));
  GitPtr<git_tree> tree(raw_tree);
  WalkState walk;
  error = git_tree_walk(tree.get(), GIT_TREEWALK_PRE, CollectEntry, &walk);
  if (!walk.status.ok()) return walk.status;
  if (error < 0) return GitErrorToStatus(error, absl::StrCat("walking the tree of ", sha));

  const std::string staging = absl::StrCat(dest_dir, ".", RandomHex128(), ".fetching");
  if (mkdir(staging.c_str(), 0777) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("creating ", staging));
  }
  RemoveOnExit remove_staging(staging);
  HUB_RETURN_IF_ERROR(WriteTree(repo.get(), walk.entries, staging));
  HUB_RETURN_IF_ERROR(SyncFileSystem(staging));
  if (absl::Status moved = RenameNoReplace(staging, dest_dir); !moved.ok()) {
    if (absl::IsAlreadyExists(moved)) {
      return absl::AlreadyExistsError(absl::StrCat(dest_dir, " already exists"));
    }
    return moved;
  }
  remove_staging.Release();
  // The directory is in place; a failure to flush its parent is not worth
  // undoing it for.
  (void)SyncDirectory(DirName(dest_dir));
  return sha;
}

}  // namespace hub
