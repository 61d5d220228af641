#include "hub/lock/lock_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hub/base/errno_status.h"
#include "hub/base/json.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/cache/layout.h"
#include "hub/fs/file_identity.h"
#include "hub/fs/files.h"
#include "hub/fs/json_record.h"
#include "hub/hash/hash_prefix.h"
#include "hub/hash/sha256.h"
#include "hub/ref/repo_ref.h"

namespace hub {
namespace {

// The key a repo string is filed under: parsed, then printed back.
std::optional<std::string> RepoKey(absl::string_view repo) {
  absl::StatusOr<RepoRef> parsed = ParseRepoRef(repo);
  if (!parsed.ok()) return std::nullopt;
  return parsed->ToString();
}

absl::Status EntryError(absl::string_view path, absl::string_view entry, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": ", entry, ": ", what,
                   ". Fix the entry or write it again with `torchhub lock --update`"));
}

// The string field `key` of `entry`, checked by `valid` (nullptr: any
// non-empty string).
absl::StatusOr<std::string> Field(const JsonValue& entry, const char* key, absl::string_view path,
                                  absl::string_view where, bool (*valid)(absl::string_view),
                                  absl::string_view expected) {
  const std::optional<std::string> value = entry.GetString({key});
  if (!value.has_value() || value->empty()) {
    return EntryError(path, where, absl::StrCat("\"", key, "\" is missing"));
  }
  if (valid != nullptr && !valid(*value)) {
    return EntryError(path, where,
                      absl::StrCat("\"", key, "\" is \"", *value, "\", not ", expected));
  }
  return *value;
}

// Repo dirs' content digests skip what Python's imports write.
const std::vector<std::string>& SkippedNames() {
  static const auto* const names = new std::vector<std::string>{".git", "__pycache__"};
  return *names;
}

// A Fingerprint of the tree under `dir`: every entry's name and stat.
absl::StatusOr<Fingerprint> StatTree(const std::string& dir) {
  Sha256 hasher;
  Fingerprint tree;
  HUB_RETURN_IF_ERROR(
      WalkTree(dir, SkippedNames(),
               [&](const std::string& rel, const std::string& /*path*/, const struct stat& st) {
                 const FileIdentity id = FileIdentity::FromStat(st);
                 hasher.Update(absl::StrCat(rel.size(), ":", rel, ":", st.st_mode, ":",
                                            id.Signature(), "\n"));
                 tree.last_change = std::max(tree.last_change, id.LastChange());
                 return absl::OkStatus();
               }));
  tree.signature = hasher.HexDigest();
  return tree;
}

}  // namespace

const LockedRepo* LockFile::FindRepo(absl::string_view repo) const {
  const std::optional<std::string> key = RepoKey(repo);
  if (!key.has_value()) return nullptr;
  for (const LockedRepo& r : repos) {
    if (r.repo == *key) return &r;
  }
  return nullptr;
}

const LockedFile* LockFile::FindFile(absl::string_view url) const {
  for (const LockedFile& f : files) {
    if (f.url == url) return &f;
  }
  return nullptr;
}

void LockFile::Put(LockedRepo repo) {
  if (std::optional<std::string> key = RepoKey(repo.repo)) repo.repo = *std::move(key);
  Remove(repo.repo);
  const auto at =
      std::lower_bound(repos.begin(), repos.end(), repo.repo,
                       [](const LockedRepo& r, const std::string& key) { return r.repo < key; });
  repos.insert(at, std::move(repo));
}

void LockFile::Put(LockedFile file) {
  Remove(file.url);
  const auto at =
      std::lower_bound(files.begin(), files.end(), file.url,
                       [](const LockedFile& f, const std::string& url) { return f.url < url; });
  files.insert(at, std::move(file));
}

bool LockFile::Remove(absl::string_view repo_or_url) {
  const std::string key = RepoKey(repo_or_url).value_or(std::string(repo_or_url));
  const size_t before = repos.size() + files.size();
  repos.erase(std::remove_if(repos.begin(), repos.end(),
                             [&](const LockedRepo& r) { return r.repo == key; }),
              repos.end());
  files.erase(std::remove_if(files.begin(), files.end(),
                             [&](const LockedFile& f) { return f.url == repo_or_url; }),
              files.end());
  return repos.size() + files.size() != before;
}

absl::StatusOr<LockFile> ParseLockFile(absl::string_view text, absl::string_view path) {
  absl::StatusOr<JsonValue> json = ParseJson(text);
  if (!json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a torchhub lock file: ", json.status().message()));
  }
  const JsonValue* version = json->Find("torchhub_lock");
  if (version == nullptr || !version->is_number()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     " is not a torchhub lock file (no \"torchhub_lock\" version); make one with "
                     "`torchhub lock`"));
  }
  if (version->number_value() != kLockFileVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is a version ", version->number_value(), " lock file; this torchhub reads version ",
        kLockFileVersion, ". Use the torchhub that wrote it, or write it again"));
  }
  LockFile lock;
  std::set<std::string> seen;
  auto list = [&](const char* key) -> absl::StatusOr<const std::vector<JsonValue>*> {
    static const std::vector<JsonValue>* const kEmpty = new std::vector<JsonValue>();
    const JsonValue* v = json->Find(key);
    if (v == nullptr) return kEmpty;
    if (!v->is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": \"", key, "\" is not a list"));
    }
    return &v->array();
  };
  HUB_ASSIGN_OR_RETURN(const std::vector<JsonValue>* repos, list("repos"));
  for (size_t i = 0; i < repos->size(); ++i) {
    const JsonValue& e = (*repos)[i];
    const std::string where = absl::StrCat("repos[", i, "]");
    LockedRepo r;
    HUB_ASSIGN_OR_RETURN(r.repo, Field(e, "repo", path, where, nullptr, ""));
    const std::optional<std::string> key = RepoKey(r.repo);
    if (!key.has_value()) {
      return EntryError(path, where,
                        absl::StrCat("\"", r.repo, "\" is not an owner/name[:ref] repo"));
    }
    r.repo = *key;
    const std::string named = absl::StrCat(where, " (", r.repo, ")");
    HUB_ASSIGN_OR_RETURN(r.ref, Field(e, "ref", path, named, nullptr, ""));
    HUB_ASSIGN_OR_RETURN(r.commit,
                         Field(e, "commit", path, named, &IsCommitHex, "40 lowercase hex digits"));
    HUB_ASSIGN_OR_RETURN(r.content_sha256, Field(e, "content_sha256", path, named, &IsSha256Hex,
                                                 "64 lowercase hex digits"));
    r.source = e.GetString({"source"}).value_or("");
    r.git_url = e.GetString({"git_url"}).value_or("");
    if (!seen.insert(r.repo).second) return EntryError(path, named, "the repo is listed twice");
    if (absl::Status s = ValidateRepoRef(ParseRepoRef(r.repo)->WithRef(r.ref)); !s.ok()) {
      return EntryError(path, named, absl::StrCat("\"ref\": ", s.message()));
    }
    lock.repos.push_back(std::move(r));
  }
  HUB_ASSIGN_OR_RETURN(const std::vector<JsonValue>* files, list("files"));
  for (size_t i = 0; i < files->size(); ++i) {
    const JsonValue& e = (*files)[i];
    const std::string where = absl::StrCat("files[", i, "]");
    LockedFile f;
    HUB_ASSIGN_OR_RETURN(f.url, Field(e, "url", path, where, nullptr, ""));
    const std::string named = absl::StrCat(where, " (", f.url, ")");
    HUB_ASSIGN_OR_RETURN(f.file_name, Field(e, "file_name", path, named, nullptr, ""));
    if (!CheckpointFileName(f.url, f.file_name).ok()) {
      return EntryError(path, named,
                        absl::StrCat("\"file_name\" \"", f.file_name, "\" is not a plain name"));
    }
    HUB_ASSIGN_OR_RETURN(f.sha256,
                         Field(e, "sha256", path, named, &IsSha256Hex, "64 lowercase hex digits"));
    if (const JsonValue* bytes = e.Find("bytes"); bytes != nullptr && bytes->is_number()) {
      f.bytes = static_cast<int64_t>(bytes->number_value());
    }
    if (!seen.insert(f.url).second) return EntryError(path, named, "the URL is listed twice");
    lock.files.push_back(std::move(f));
  }
  std::sort(lock.repos.begin(), lock.repos.end(),
            [](const LockedRepo& a, const LockedRepo& b) { return a.repo < b.repo; });
  std::sort(lock.files.begin(), lock.files.end(),
            [](const LockedFile& a, const LockedFile& b) { return a.url < b.url; });
  return lock;
}

std::string SerializeLockFile(const LockFile& lock) {
  auto lines = [](const std::vector<std::string>& entries) {
    if (entries.empty()) return std::string("[]");
    std::string out = "[\n";
    for (size_t i = 0; i < entries.size(); ++i) {
      absl::StrAppend(&out, "    ", entries[i], i + 1 < entries.size() ? ",\n" : "\n");
    }
    return absl::StrCat(out, "  ]");
  };
  std::vector<std::string> repos;
  for (const LockedRepo& r : lock.repos) {
    JsonObject entry;
    entry.Add("repo", JsonString(r.repo))
        .Add("ref", JsonString(r.ref))
        .Add("commit", JsonString(r.commit))
        .Add("content_sha256", JsonString(r.content_sha256))
        .Add("source", JsonString(r.source));
    if (!r.git_url.empty()) entry.Add("git_url", JsonString(r.git_url));
    repos.push_back(entry.Build());
  }
  std::vector<std::string> files;
  for (const LockedFile& f : lock.files) {
    files.push_back(JsonObject()
                        .Add("url", JsonString(f.url))
                        .Add("file_name", JsonString(f.file_name))
                        .Add("sha256", JsonString(f.sha256))
                        .Add("bytes", JsonInt(f.bytes))
                        .Build());
  }
  return absl::StrCat("{\n  \"torchhub_lock\": ", kLockFileVersion,
                      ",\n  \"repos\": ", lines(repos), ",\n  \"files\": ", lines(files), "\n}\n");
}

absl::StatusOr<LockFile> ReadLockFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok() && text.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("the lock file ", path,
                                            " does not exist; make it with `torchhub lock --lock ",
                                            path, " REPO|URL...`"));
  }
  if (!text.ok()) return text.status();
  if (text->empty()) {
    // `torchhub lock` makes the file to lock it and writes it whole at the
    // end; a run killed in between (SIGKILL: Ctrl-C removes it) leaves it
    // empty.
    return absl::FailedPreconditionError(absl::StrCat(
        "the lock file ", path,
        " is empty: a `torchhub lock` that was killed left it; run `torchhub lock --lock ", path,
        " REPO|URL...` again, or delete it"));
  }
  return ParseLockFile(*text, path);
}

absl::Status WriteLockFile(const std::string& path, const LockFile& lock) {
  return WriteFileAtomically(path, SerializeLockFile(lock));
}

absl::StatusOr<std::string> ContentDigest(const std::string& dir) {
  Sha256 hasher;
  const absl::string_view nul("\0", 1);
  HUB_RETURN_IF_ERROR(WalkTree(
      dir, SkippedNames(),
      [&](const std::string& rel, const std::string& path, const struct stat& st) -> absl::Status {
        if (S_ISDIR(st.st_mode)) {
          hasher.Update(absl::StrCat("d", nul, rel, nul));
          return absl::OkStatus();
        }
        std::string content_sha;
        if (S_ISLNK(st.st_mode)) {
          std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
          const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
          if (n < 0) return ErrnoToStatus(errno, absl::StrCat("reading the link ", path));
          target.resize(static_cast<size_t>(n));
          Sha256 link;
          link.Update(target);
          content_sha = link.HexDigest();
        } else if (S_ISREG(st.st_mode)) {
          HUB_ASSIGN_OR_RETURN(content_sha, Sha256FileHex(path));
        } else {
          return absl::FailedPreconditionError(
              absl::StrCat(path, " is neither a file, a directory nor a link; a repo holds none"));
        }
        hasher.Update(absl::StrCat("f", nul, rel, nul, content_sha, nul));
        return absl::OkStatus();
      }));
  return hasher.HexDigest();
}

absl::StatusOr<std::string> VerifiedContentDigest(const std::string& dir,
                                                  const std::string& record_path,
                                                  const std::string& lock_path) {
  return RecordedDigest(
      record_path, lock_path, dir, [&dir] { return StatTree(dir); },
      [&dir] { return ContentDigest(dir); });
}

}  // namespace hub
