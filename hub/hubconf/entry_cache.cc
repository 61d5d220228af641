#include "hub/hubconf/entry_cache.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/errno_status.h"
#include "hub/base/json.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/fs/file_identity.h"
#include "hub/fs/files.h"
#include "hub/hash/sha256.h"
#include "torchhub_python_version.h"

namespace hub {
namespace {

constexpr int kFormat = 1;
// Bigger files count by size, mtime and inode: hubconf imports code, and
// code is small; a weight file in a repo is not read twice per `list`.
constexpr off_t kHashContentUpTo = off_t{1} << 20;

std::string StatSignature(const std::string& path) {
  const absl::StatusOr<FileIdentity> id = FileIdentity::Of(path);
  return id.ok() ? id->Signature() : "-";
}

absl::Status HashTree(const std::string& root, Sha256& hasher) {
  return WalkTree(
      root, {".git", "__pycache__"},
      [&](const std::string& rel, const std::string& path, const struct stat& st) -> absl::Status {
        // Length-prefixed fields: no two trees hash alike by shifting bytes.
        hasher.Update(absl::StrCat(rel.size(), ":", rel, ":"));
        if (S_ISDIR(st.st_mode)) {
          hasher.Update("d\n");
        } else if (S_ISLNK(st.st_mode)) {
          std::string target(4096, '\0');
          const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
          if (n < 0) return ErrnoToStatus(errno, absl::StrCat("cannot read link ", path));
          target.resize(static_cast<size_t>(n));
          hasher.Update(absl::StrCat("l", target.size(), ":", target, "\n"));
        } else if (S_ISREG(st.st_mode) && st.st_size <= kHashContentUpTo) {
          HUB_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
          hasher.Update(absl::StrCat("f", content.size(), ":"));
          hasher.Update(content);
          hasher.Update(absl::StrCat(st.st_mode & 0111 ? "x" : "-", "\n"));
        } else {
          hasher.Update(absl::StrCat("s", st.st_mode, ":", StatSignature(path), "\n"));
        }
        return absl::OkStatus();
      });
}

std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// "signature\tpath" for each path an entry depends on.
std::vector<std::string> Environment(const HubconfDescription& d, absl::string_view repo_dir) {
  std::vector<std::string> paths;
  const char* program = std::getenv("TORCHHUB_PYTHON");
  paths.emplace_back(program != nullptr && *program != '\0' ? program : TORCHHUB_PYTHON_EXECUTABLE);
  for (const std::string& p : d.sys_path) {
    if (!p.empty() && p != repo_dir) paths.push_back(p);
  }
  paths.insert(paths.end(), d.module_files.begin(), d.module_files.end());
  std::vector<std::string> out;
  out.reserve(paths.size());
  for (const std::string& p : paths) out.push_back(absl::StrCat(StatSignature(p), "\t", p));
  return out;
}

std::vector<std::string> Strings(const JsonValue* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  for (const JsonValue& e : v->array()) out.push_back(e.string_value());
  return out;
}

std::optional<HubconfDescription> Parse(const JsonValue& j, absl::string_view repo_dir,
                                        absl::string_view digest, absl::string_view python_key) {
  const JsonValue* format = j.Find("format");
  if (format == nullptr || !format->is_number() || format->number_value() != kFormat ||
      j.GetString({"repo_dir"}) != std::string(repo_dir) ||
      j.GetString({"content"}) != std::string(digest) ||
      j.GetString({"python"}) != std::string(python_key)) {
    return std::nullopt;
  }
  HubconfDescription d;
  d.entrypoints = Strings(j.Find("entrypoints"));
  if (const JsonValue* docs = j.Find("docs")) {
    for (const JsonValue& e : docs->array()) {
      std::optional<std::string> name = e.GetString({"name"});
      if (!name) return std::nullopt;
      std::optional<std::string> doc = e.GetString({"doc"});
      d.docs.emplace_back(*name, doc);
    }
  }
  d.help_error = j.GetString({"help_error"}).value_or("");
  d.sys_path = Strings(j.Find("sys_path"));
  d.module_files = Strings(j.Find("module_files"));
  if (Strings(j.Find("environment")) != Environment(d, repo_dir)) return std::nullopt;
  return d;
}

std::string JsonStrings(const std::vector<std::string>& v) {
  std::vector<std::string> rendered;
  rendered.reserve(v.size());
  for (const std::string& s : v) rendered.push_back(JsonString(s));
  return JsonArray(rendered);
}

}  // namespace

absl::StatusOr<std::optional<std::string>> HelpFromDescription(const HubconfDescription& d,
                                                               absl::string_view entry) {
  if (!d.help_error.empty()) return absl::FailedPreconditionError(d.help_error);
  for (const auto& [name, doc] : d.docs) {
    if (name == entry) return doc;
  }
  return absl::NotFoundError(
      absl::StrCat("RuntimeError: Cannot find callable ", entry, " in hubconf"));
}

std::string PythonSettingsKey() {
  std::string key;
  for (const char* name : {"TORCHHUB_PYTHON", "TORCHHUB_PYTHON_HOME", "TORCHHUB_PYTHONPATH",
                           "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONSAFEPATH"}) {
    absl::StrAppend(&key, name, "=", EnvOrEmpty(name), ";");
  }
  return key;
}

std::string EntryCache::DefaultDir() { return CacheLayout(GetDir()).EntryCacheDir(); }

absl::StatusOr<std::string> RepoContentDigest(absl::string_view repo_dir) {
  Sha256 hasher;
  HUB_RETURN_IF_ERROR(HashTree(std::string(repo_dir), hasher));
  return hasher.HexDigest();
}

absl::StatusOr<std::string> EntryCache::EntryPath(absl::string_view repo_dir,
                                                  absl::string_view python_key) const {
  // One entry per directory, however it is spelled.
  HUB_ASSIGN_OR_RETURN(const std::string dir, RealPath(repo_dir, "hub repo dir"));
  Sha256 hasher;
  hasher.Update(absl::StrCat(dir.size(), ":", dir, "\n", python_key));
  return absl::StrCat(dir_, "/", hasher.HexDigest(), ".json");
}

absl::StatusOr<std::optional<HubconfDescription>> EntryCache::Lookup(
    absl::string_view repo_dir, absl::string_view python_key) const {
  HUB_ASSIGN_OR_RETURN(std::string path, EntryPath(repo_dir, python_key));
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return std::optional<HubconfDescription>();
  HUB_ASSIGN_OR_RETURN(std::string digest, RepoContentDigest(repo_dir));
  absl::StatusOr<JsonValue> json = ParseJson(*text);
  if (!json.ok()) return std::optional<HubconfDescription>();
  return Parse(*json, repo_dir, digest, python_key);
}

absl::Status EntryCache::Store(absl::string_view repo_dir, absl::string_view python_key,
                               const HubconfDescription& description) const {
  HUB_ASSIGN_OR_RETURN(std::string path, EntryPath(repo_dir, python_key));
  HUB_ASSIGN_OR_RETURN(std::string digest, RepoContentDigest(repo_dir));
  std::vector<std::string> docs;
  docs.reserve(description.docs.size());
  for (const auto& [name, doc] : description.docs) {
    docs.push_back(JsonObject()
                       .Add("name", JsonString(name))
                       .Add("doc", doc ? JsonString(*doc) : JsonNull())
                       .Build());
  }
  const std::string text = JsonObject()
                               .Add("format", JsonInt(kFormat))
                               .Add("repo_dir", JsonString(repo_dir))
                               .Add("content", JsonString(digest))
                               .Add("python", JsonString(python_key))
                               .Add("entrypoints", JsonStrings(description.entrypoints))
                               .Add("docs", JsonArray(docs))
                               .Add("help_error", JsonString(description.help_error))
                               .Add("sys_path", JsonStrings(description.sys_path))
                               .Add("module_files", JsonStrings(description.module_files))
                               .Add("environment", JsonStrings(Environment(description, repo_dir)))
                               .Build();
  HUB_RETURN_IF_ERROR(MakeDirs(dir_));
  return WriteFileAtomically(path, text);
}

}  // namespace hub
