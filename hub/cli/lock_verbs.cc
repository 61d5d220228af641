#include "hub/cli/lock_verbs.h"

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hub/base/json.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/checkpoint/cached_file.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"
#include "hub/fs/json_record.h"
#include "hub/hash/hash_prefix.h"
#include "hub/hash/sha256.h"
#include "hub/lock/lock_file.h"
#include "hub/lock/pinned.h"
#include "hub/ref/repo_ref.h"
#include "hub/source/source.h"

namespace hub::cli {

const char kLockUsage[] =
    R"(usage: torchhub lock [REPO|URL...] [--lock FILE] [--update] [--remove]
                     [--no-progress] [--json] [fetch options]

Pins a project's hub repos and weight files in a lock file: each REPO
("owner/name[:ref]") with the commit it resolves to and a digest of its
files, each URL with its file's SHA-256. REPOs are brought into the hub dir
as `torchhub fetch` brings them (a cached copy is pinned as it is, when
torchhub fetched it and so knows its commit); URLs are downloaded into
<hub_dir>/checkpoints as load_state_dict_from_url downloads them. Entries
already in the file are kept unless --update. Nothing is written unless
every item is pinned; runs on one lock file at once take turns.

Then `torchhub fetch|list|help|load|load-state-dict --lock FILE` (or
TORCHHUB_LOCK=FILE, for every command and for the C++ API) take only what
it pins: anything else, or anything that differs from it, is an error; and
when the hub dir holds the pinned items, they need no network at all.
`torchhub cache verify --lock FILE` checks the hub dir against it.

  --lock FILE    the lock file (default: $TORCHHUB_LOCK, else ./torchhub.lock)
  --update       pin again: fetch REPOs anew (a branch moves) and re-hash
                 files; with no REPO|URL, every entry in the file
  --remove       take the REPO|URL entries out of the file instead
  --no-progress  no download progress display

Every repo line says where it is fetched from (--json: "source" and
"git_url"), for review. A --git-url remote that is not the repo's own GitHub
location must be trusted by itself (trusted_list, TORCHHUB_TRUST, or
--trust-repo; asked like a repo), and file://, http:// and git:// remotes
need --allow-insecure-remote, now and for every load the lock serves. Unless
--skip-validation, a pinned commit is proven to be the repo's, not a fork's
(its ref points at it or has it in its history).
)";

namespace {

bool IsUrl(absl::string_view item) { return absl::StrContains(item, "://"); }

std::string LockPath(const Invocation& inv) {
  return LockPathFor(inv.Value("--lock").value_or("")).value_or(kDefaultLockFileName);
}

absl::StatusOr<LockedRepo> PinRepo(const std::string& item, const Invocation& inv, bool update,
                                   std::ostream& err) {
  HUB_ASSIGN_OR_RETURN(FetchOptions options, FetchOptionsFrom(inv, "load", err));
  options.force_reload = options.force_reload || update;
  HUB_ASSIGN_OR_RETURN(const RepoRef asked, ParseRepoRef(item));
  // What goes into the lock is what loads will trust: the remote is checked
  // now as it will be then (CheckGitRemote), before anything is fetched.
  if (!options.git_url.empty()) {
    HUB_RETURN_IF_ERROR(CheckGitRemote(asked, options.git_url, options));
  }
  HUB_ASSIGN_OR_RETURN(const FetchResult fetched, GetCacheOrReload(item, options));
  HUB_ASSIGN_OR_RETURN(const std::string dir_name, CacheLayout::RepoDirName(fetched.repo));
  // The record GetCacheOrReload keeps beside the repo dir.
  const JsonValue record =
      ReadJsonRecord(SourceRecordPath(GetDir(), dir_name)).value_or(JsonValue::Object({}));
  std::string commit = fetched.commit;
  if (fetched.from_cache) commit = record.GetString({"commit"}).value_or("");
  if (!IsCommitHex(commit)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "can't pin ", asked.ToString(), ": ",
        fetched.from_cache
            ? absl::StrCat("its cached copy ", fetched.repo_dir,
                           " has no record of its full commit (Python's torch.hub, or an older "
                           "torchhub, fetched it); --update fetches it again and pins that")
            : absl::StrCat("what was fetched names no full commit (",
                           commit.empty() ? "none" : commit,
                           "); GitHub's zipballs carry it in their comment")));
  }
  LockedRepo pin;
  pin.repo = asked.ToString();
  pin.ref = *fetched.repo.ref;
  pin.commit = commit;
  HUB_ASSIGN_OR_RETURN(pin.content_sha256, ContentDigest(fetched.repo_dir));
  pin.git_url = record.GetString({"git_url"}).value_or("");
  pin.source = record.GetString({"archive_url"})
                   .value_or(pin.git_url.empty() ? fetched.archive_url : pin.git_url);
  // A cached copy may have come from another remote than this run names.
  if (!pin.git_url.empty() && pin.git_url != options.git_url) {
    HUB_RETURN_IF_ERROR(CheckGitRemote(asked, pin.git_url, options));
  }
  // GitHub serves a fork's commits under the repo's name too. A fetch just
  // made validated its ref (unless --skip-validation); a cached copy's
  // commit is proven to be the repo's here.
  if (pin.git_url.empty() && fetched.from_cache && !options.skip_validation) {
    HUB_RETURN_IF_ERROR(ValidatePinnedCommit(fetched.repo, pin.commit, options));
  }
  return pin;
}

absl::StatusOr<LockedFile> PinFile(const std::string& url, const Invocation& inv,
                                   std::ostream& err) {
  checkpoint::CachedFileOptions options;
  options.progress = !inv.Has("--no-progress") && !inv.json;
  options.download.progress_stream = &err;
  options.err = &err;
  HUB_ASSIGN_OR_RETURN(const checkpoint::CachedFile file,
                       checkpoint::FetchCachedFile(url, options));
  LockedFile pin;
  pin.url = url;
  pin.file_name = std::string(absl::string_view(file.path).substr(file.path.rfind('/') + 1));
  pin.sha256 = file.sha256;
  if (pin.sha256.empty()) {
    HUB_ASSIGN_OR_RETURN(
        pin.sha256,
        checkpoint::VerifiedSha256(file.path, SourceRecordPath(DirName(file.path), pin.file_name)));
  }
  pin.bytes = file.bytes;
  return pin;
}

std::string RepoJson(const LockedRepo& r, absl::string_view action) {
  return JsonObject()
      .Add("repo", JsonString(r.repo))
      .Add("ref", JsonString(r.ref))
      .Add("commit", JsonString(r.commit))
      .Add("content_sha256", JsonString(r.content_sha256))
      .Add("source", JsonString(r.source))
      .Add("git_url", r.git_url.empty() ? JsonNull() : JsonString(r.git_url))
      .Add("action", JsonString(action))
      .Build();
}

// Where a pinned repo comes from, for review: its git remote, else its
// archive's URL.
std::string FromWhere(const LockedRepo& r) {
  const std::string& where = r.git_url.empty() ? r.source : r.git_url;
  if (where.empty()) return "";
  return absl::StrCat(" from ", where);
}

std::string FileJson(const LockedFile& f, absl::string_view action) {
  return JsonObject()
      .Add("url", JsonString(f.url))
      .Add("file_name", JsonString(f.file_name))
      .Add("sha256", JsonString(f.sha256))
      .Add("bytes", JsonInt(f.bytes))
      .Add("action", JsonString(action))
      .Build();
}

}  // namespace

int RunLock(const Invocation& inv, std::ostream& out, std::ostream& err) {
  const std::string path = LockPath(inv);
  const bool update = inv.Has("--update");
  const bool remove = inv.Has("--remove");
  if (remove && update) return Usage(err, "--remove and --update don't go together", kLockUsage);
  if (inv.positional.empty() && !update) {
    return Usage(err, "name the REPOs and URLs to pin (or --update, to pin every entry again)",
                 kLockUsage);
  }
  if (absl::StatusOr<FetchOptions> o = FetchOptionsFrom(inv, "load", err); !o.ok()) {
    return Usage(err, o.status().message(), kLockUsage);
  }
  const bool existed = PathExists(path);
  if (!existed && remove) {
    return Fail(err, absl::NotFoundError(absl::StrCat("the lock file ", path, " does not exist")));
  }
  // One `torchhub lock` at a time per lock file, so that none loses
  // another's entries: the file itself is the flock. Writing it renames a new
  // version into place, and FileLock checks it holds the file now at the
  // path, so whoever waited then locks (and reads) the new version.
  absl::StatusOr<FileLock> guard = FileLock::Acquire(path);
  if (!guard.ok()) return Fail(err, guard.status());
  bool written = false;
  absl::Cleanup drop_unwritten = [&] {
    // A file this run made (empty, to lock) goes unless it was written.
    if (!existed && !written) (void)guard->RemoveFileAndRelease();
  };
  LockFile lock;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return Fail(err, text.status());
  if (!text->empty()) {
    absl::StatusOr<LockFile> read = ParseLockFile(*text, path);
    if (!read.ok()) return Fail(err, read.status());
    lock = *std::move(read);
  }

  std::vector<std::string> items = inv.positional;
  if (items.empty()) {  // --update: everything in the file
    for (const LockedRepo& r : lock.repos) items.push_back(r.repo);
    for (const LockedFile& f : lock.files) items.push_back(f.url);
  }
  std::vector<std::string> repo_rows;
  std::vector<std::string> file_rows;
  for (const std::string& item : items) {
    if (remove) {
      if (!lock.Remove(item)) {
        return Fail(err, absl::NotFoundError(absl::StrCat(item, " is not in ", path)));
      }
      if (!inv.json) out << "removed " << item << "\n";
      continue;
    }
    if (IsUrl(item)) {
      if (const LockedFile* kept = lock.FindFile(item); kept != nullptr && !update) {
        file_rows.push_back(FileJson(*kept, "kept"));
        if (!inv.json) out << "kept    " << item << " (sha256 " << kept->sha256 << ")\n";
        continue;
      }
      absl::StatusOr<LockedFile> pin = PinFile(item, inv, err);
      if (!pin.ok()) return Fail(err, pin.status());
      file_rows.push_back(FileJson(*pin, "pinned"));
      if (!inv.json) out << "pinned  " << item << " (sha256 " << pin->sha256 << ")\n";
      lock.Put(*std::move(pin));
      continue;
    }
    if (const LockedRepo* kept = lock.FindRepo(item); kept != nullptr && !update) {
      repo_rows.push_back(RepoJson(*kept, "kept"));
      if (!inv.json) {
        out << "kept    " << kept->repo << " at " << kept->commit << FromWhere(*kept) << "\n";
      }
      continue;
    }
    absl::StatusOr<LockedRepo> pin = PinRepo(item, inv, update, err);
    if (!pin.ok()) {
      Fail(err, pin.status());
      return pin.status().code() == absl::StatusCode::kCancelled ? kExitInterrupted : kExitFailure;
    }
    repo_rows.push_back(RepoJson(*pin, "pinned"));
    if (!inv.json) {
      out << "pinned  " << pin->repo << " at " << pin->commit << FromWhere(*pin) << "\n";
    }
    lock.Put(*std::move(pin));
  }
  if (absl::Status s = WriteLockFile(path, lock); !s.ok()) return Fail(err, s);
  written = true;
  if (inv.json) {
    out << JsonObject()
               .Add("lock_file", JsonString(path))
               .Add("repos", JsonArray(repo_rows))
               .Add("files", JsonArray(file_rows))
               .Build()
        << "\n";
  } else {
    out << "wrote " << path << "\n";
  }
  return kExitOk;
}

absl::StatusOr<bool> VerifyAgainstLock(const std::string& lock_path,
                                       const std::map<std::string, std::string>& hashed, bool json,
                                       std::vector<std::string>* json_rows, std::ostream& out) {
  HUB_ASSIGN_OR_RETURN(const LockFile lock, ReadLockFile(lock_path));
  const std::string hub_dir = GetDir();
  bool all_ok = true;
  auto report = [&](absl::string_view kind, absl::string_view item, absl::string_view verdict,
                    absl::string_view expected, absl::string_view got) {
    if (verdict != "ok") all_ok = false;
    if (json) {
      json_rows->push_back(JsonObject()
                               .Add(kind, JsonString(item))
                               .Add("verdict", JsonString(verdict))
                               .Add("against", JsonString("lock"))
                               .Add("expected", JsonString(expected))
                               .Add("got", got.empty() ? JsonNull() : JsonString(got))
                               .Build());
      return;
    }
    if (verdict == "ok") {
      out << "ok         " << item << " (against the lock)\n";
    } else if (verdict == "missing") {
      out << "MISSING    " << item << " (pinned in " << lock_path << ", not in the hub dir)\n";
    } else {
      out << "MISMATCH   " << item << " (against the lock: expected " << expected << ", got " << got
          << ")\n";
    }
  };
  for (const LockedRepo& r : lock.repos) {
    HUB_ASSIGN_OR_RETURN(const RepoRef repo, ParseRepoRef(r.repo));
    HUB_ASSIGN_OR_RETURN(const std::string dir, CacheLayout(hub_dir).RepoDir(repo.WithRef(r.ref)));
    if (!IsDirectory(dir)) {
      report("repo", r.repo, "missing", r.content_sha256, "");
      continue;
    }
    HUB_ASSIGN_OR_RETURN(const std::string digest, ContentDigest(dir));
    report("repo", r.repo, digest == r.content_sha256 ? "ok" : "mismatch", r.content_sha256,
           digest);
  }
  const std::string checkpoints = JoinPath(hub_dir, "checkpoints");
  for (const LockedFile& f : lock.files) {
    const std::string path = JoinPath(checkpoints, f.file_name);
    if (!PathExists(path)) {
      report("file", f.file_name, "missing", f.sha256, "");
      continue;
    }
    // Hashed in full by this verify: it trusts no recorded digest.
    std::string sha256;
    if (const auto it = hashed.find(f.file_name); it != hashed.end()) {
      sha256 = it->second;
    } else {
      HUB_ASSIGN_OR_RETURN(sha256, Sha256FileHex(path));
    }
    report("file", f.file_name, sha256 == f.sha256 ? "ok" : "mismatch", f.sha256, sha256);
  }
  return all_ok;
}

}  // namespace hub::cli
