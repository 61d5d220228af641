#include "hub/source/source.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/archive/extract.h"
#include "hub/base/errno_status.h"
#include "hub/base/json.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/download/http_error.h"
#include "hub/download/url_escape.h"
#include "hub/fs/dir.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"
#include "hub/git/remote.h"
#include "hub/hash/hash_prefix.h"
#include "hub/ref/repo_ref.h"
#include "hub/trust/trust.h"

namespace hub {
namespace {

bool IsNetworkFailure(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

std::ostream& Out(const FetchOptions& options) {
  return options.out != nullptr ? *options.out : std::cout;
}

std::ostream& Err(const FetchOptions& options) {
  return options.err != nullptr ? *options.err : std::cerr;
}

// torch.hub's default-branch probe: main if "{web}/{owner}/{name}/tree/main/"
// answers, master on 404.
absl::StatusOr<std::string> ProbeDefaultBranch(const RepoRef& repo, const FetchOptions& options) {
  HttpGetOptions http = options.http;
  http.send_token = false;  // torch.hub's probe is a plain urlopen
  const std::string url = options.endpoints.MainBranchProbeUrl(repo.owner, repo.name);
  HUB_ASSIGN_OR_RETURN(const HttpGetResponse probe, HttpGet(url, http));
  if (probe.status >= 200 && probe.status < 300) return std::string("main");
  if (probe.status == 404) return std::string("master");
  return HttpError(probe.status, probe.head.reason, url, probe.body);
}

// Which switch made a fetch offline, for its messages.
std::string WhyOffline(const FetchOptions& options) {
  return options.offline ? "FetchOptions::offline is set" : absl::StrCat(kOfflineEnv, " is set");
}

// torch.hub's default-branch probe, with its offline fallback.
absl::StatusOr<std::string> DefaultBranch(const RepoRef& repo, const CacheLayout& cache,
                                          bool offline, const FetchOptions& options) {
  auto cached = [&]() -> std::optional<std::string> {
    for (absl::string_view branch : kDefaultBranchCandidates) {
      const absl::StatusOr<std::string> dir = cache.RepoDir(repo.WithRef(std::string(branch)));
      if (dir.ok() && IsDirectory(*dir)) return std::string(branch);
    }
    return std::nullopt;
  };
  if (offline) {
    if (std::optional<std::string> branch = cached()) return *branch;
    return absl::NotFoundError(
        absl::StrCat("offline (", WhyOffline(options), ") and ", repo.ToString(),
                     " is not in the cache: looked for ", *cache.RepoDir(repo.WithRef("main")),
                     " and ", *cache.RepoDir(repo.WithRef("master")),
                     ". Fetch it once with network access, or name the ref (owner/name:ref)."));
  }
  absl::StatusOr<std::string> probed = ProbeDefaultBranch(repo, options);
  if (!probed.ok() && IsNetworkFailure(probed.status())) {
    if (std::optional<std::string> branch = cached()) return *branch;
    return absl::UnavailableError(absl::StrCat(
        "It looks like there is no internet connection and the repo could not be found in the "
        "cache (",
        cache.hub_dir(), ") [", probed.status().message(), "]"));
  }
  return probed;
}

// Leftovers of fetches whose process died: hidden ".<dir>.<32 hex>.staging"
// and ".old" directories (CacheLayout::RepoScratchPath). Called under the
// repo's lock.
void RemoveScratch(const std::string& hub_dir, const std::string& dir_name) {
  for (const std::string& entry : ListDirectory(hub_dir).value_or(std::vector<std::string>())) {
    if ((absl::EndsWith(entry, ".staging") || absl::EndsWith(entry, ".old")) &&
        RepoScratchOwner(entry) == dir_name) {
      (void)RemoveTree(JoinPath(hub_dir, entry));
    }
  }
}

std::string ShortCommitOf(absl::string_view top_dir) {
  // GitHub names the folder "<owner>-<name>-<short sha>".
  const size_t dash = top_dir.rfind('-');
  if (dash == absl::string_view::npos) return "";
  const absl::string_view sha = top_dir.substr(dash + 1);
  for (const char c : sha) {
    if (!absl::ascii_isxdigit(c)) return "";
  }
  return std::string(sha);
}

// Renames the finished tree `top` onto `repo_dir` (an old one moved aside
// first and removed after), then syncs the hub dir.
absl::Status Install(const std::string& top, const std::string& repo_dir,
                     const std::string& hub_dir, const std::string& dir_name) {
  std::string old;
  if (PathExists(repo_dir)) {
    old = CacheLayout(hub_dir).RepoScratchPath(dir_name, "old");
    if (std::rename(repo_dir.c_str(), old.c_str()) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("moving the old ", repo_dir, " aside"));
    }
  }
  if (std::rename(top.c_str(), repo_dir.c_str()) != 0) {
    absl::Status status = ErrnoToStatus(errno, absl::StrCat("moving ", top, " to ", repo_dir));
    if (!old.empty()) std::rename(old.c_str(), repo_dir.c_str());
    return status;
  }
  if (!old.empty()) (void)RemoveTree(old);
  return SyncDirectory(hub_dir);
}

// What is in the directory, for people and for `torchhub cache ls`:
// "<hub_dir>/.<dir>.source".
void WriteRecord(const std::string& hub_dir, const std::string& dir_name, const RepoRef& repo,
                 absl::string_view source_key, absl::string_view source, absl::string_view commit) {
  const std::string record =
      JsonObject()
          .Add("repo", JsonString(repo.ToString()))
          .Add(source_key, JsonString(source))
          .Add("commit", JsonString(commit))
          .Add("fetched_at",
               JsonString(absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone())))
          .Build();
  (void)WriteFileAtomically(SourceRecordPath(hub_dir, dir_name), record + "\n");
}

std::string StagingPath(const std::string& hub_dir, const std::string& dir_name) {
  return CacheLayout(hub_dir).RepoScratchPath(dir_name, "staging");
}

// The repo's own git URL, where validate_with_git looks:
// "{git_base, else endpoints.web}/{owner}/{name}.git".
std::string RepoGitUrl(const RepoRef& repo, const FetchOptions& options) {
  return absl::StrCat(options.git_base.empty() ? options.endpoints.web : options.git_base, "/",
                      EscapeUrlPathSegment(repo.owner), "/", EscapeUrlPathSegment(repo.name),
                      ".git");
}

// torch.hub's fork error for a pinned commit that `where` (the repo's URL)
// does not show to be the repo's, saying `why` and what to do.
absl::Status ForkError(const RepoRef& repo, absl::string_view commit, absl::string_view where,
                       absl::string_view why) {
  return absl::NotFoundError(absl::StrCat(
      "Cannot find commit ", commit, " of ", repo.owner, "/", repo.name, " in ", *repo.ref, " of ",
      where, ": ", why,
      ". If it's a commit from a forked repo, please call hub.load() with forked repo directly: "
      "pin the fork itself (torchhub lock FORK_OWNER/",
      repo.name, ":REF), or pin what ", *repo.ref,
      " is now (torchhub lock --update). Nothing was fetched or installed"));
}

// With options.pinned_commit: that `fetched` (full or short, "" unknown) is
// it. Then options.check_before_install on the tree.
absl::Status CheckFetched(const RepoRef& repo, const std::string& tree, const std::string& fetched,
                          absl::string_view from, const FetchOptions& options) {
  const std::string& pin = options.pinned_commit;
  if (!pin.empty() && (fetched.empty() || !absl::StartsWith(pin, fetched))) {
    return absl::DataLossError(
        absl::StrCat(from, " for ", repo.ToString(), " is ",
                     fetched.empty() ? "of an unknown commit (no commit id in it)"
                                     : absl::StrCat("commit ", fetched),
                     ", not the pinned commit ", pin, "; nothing was installed"));
  }
  if (options.check_before_install) return options.check_before_install(tree, fetched);
  return absl::OkStatus();
}

// Downloads the zipball, extracts it whole and renames its top folder onto
// `repo_dir`. Runs under the repo's lock. Sets result->archive_url and
// result->commit.
absl::Status FetchArchive(const RepoRef& repo, const std::string& hub_dir,
                          const std::string& dir_name, const std::string& repo_dir,
                          const FetchOptions& options, FetchResult* result) {
  const GithubEndpoints& gh = options.endpoints;
  const bool pinned = !options.pinned_commit.empty();
  std::string url =
      gh.ArchiveUrl(repo.owner, repo.name, pinned ? options.pinned_commit : *repo.ref);
  // One name per repo dir, under its lock: a killed fetch's download is
  // resumed by the next one.
  const std::string zip = CacheLayout(hub_dir).RepoArchivePath(dir_name);
  Out(options) << "Downloading: \"" << url << "\" to " << zip << "\n";
  DownloadOptions download = options.download;
  download.progress = false;
  download.token_hosts = {gh.ApiOrigin()};
  absl::StatusOr<DownloadResult> fetched = DownloadUrlToFile(url, zip, download);
  if (!fetched.ok() && !pinned && HttpStatusOf(fetched.status()) == 300) {
    Warn(WarningCategory::kUserWarning,
         absl::StrCat("The ref ", *repo.ref,
                      " is ambiguous. Perhaps it is both a tag and a branch in the repo? Torchhub "
                      "will now assume that it's a branch. You can disambiguate tags and branches "
                      "by explicitly passing refs/heads/branch_name or refs/tags/tag_name as the "
                      "ref. That might require using skip_validation=True."));
    url = gh.ArchiveUrl(repo.owner, repo.name, absl::StrCat("refs/heads/", *repo.ref));
    fetched = DownloadUrlToFile(url, zip, download);
  }
  if (!fetched.ok()) return fetched.status();
  absl::Cleanup remove_zip = [&zip] { std::remove(zip.c_str()); };

  const std::string staging = StagingPath(hub_dir, dir_name);
  absl::Cleanup remove_staging = [&staging] { (void)RemoveTree(staging); };
  HUB_ASSIGN_OR_RETURN(const ExtractResult extracted, ExtractArchive(zip, staging));
  if (extracted.top_dir.empty()) {
    return absl::DataLossError(absl::StrCat(
        "the archive from ", url,
        " does not hold exactly one top-level folder, as GitHub's archives do; nothing was "
        "installed"));
  }
  // GitHub's zipballs carry the full commit id as the zip's comment.
  const absl::StatusOr<std::string> comment = ZipComment(zip);
  std::string commit = result->commit;
  if (commit.empty() && comment.ok() && IsCommitHex(*comment)) commit = *comment;
  if (commit.empty()) commit = ShortCommitOf(extracted.top_dir);
  const std::string top = JoinPath(staging, extracted.top_dir);
  HUB_RETURN_IF_ERROR(CheckFetched(repo, top, commit, absl::StrCat("the archive ", url), options));
  HUB_RETURN_IF_ERROR(Install(top, repo_dir, hub_dir, dir_name));
  WriteRecord(hub_dir, dir_name, repo, "archive_url", url, commit);
  result->archive_url = url;
  result->commit = commit;
  return absl::OkStatus();
}

// The remote's refs and `ref` resolved among them.
absl::StatusOr<ResolvedRef> ResolveWithGit(const std::string& git_url, absl::string_view ref,
                                           const FetchOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::vector<RemoteRef> refs, LsRemote(git_url, options.git));
  return ResolveRef(refs, ref, git_url);
}

// The default branch among a remote's `refs`: what its HEAD points at.
absl::StatusOr<std::string> DefaultBranchOf(const std::vector<RemoteRef>& refs,
                                            const std::string& git_url) {
  for (const RemoteRef& r : refs) {
    absl::string_view target = r.symref_target;
    if (r.name == "HEAD" && absl::ConsumePrefix(&target, "refs/heads/")) {
      return std::string(target);
    }
  }
  for (absl::string_view branch : kDefaultBranchCandidates) {
    for (const RemoteRef& r : refs) {
      if (r.name == absl::StrCat("refs/heads/", branch)) return std::string(branch);
    }
  }
  return absl::NotFoundError(
      absl::StrCat(git_url, " has no HEAD, main or master branch; name the ref (owner/name:ref)"));
}

// The remote's default branch.
absl::StatusOr<std::string> GitDefaultBranch(const std::string& git_url,
                                             const FetchOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::vector<RemoteRef> refs, LsRemote(git_url, options.git));
  return DefaultBranchOf(refs, git_url);
}

// Fetches `ref` from a git remote into `repo_dir`. Returns the commit.
absl::StatusOr<std::string> FetchGit(const RepoRef& repo, const std::string& hub_dir,
                                     const std::string& dir_name, const std::string& repo_dir,
                                     const FetchOptions& options) {
  HUB_ASSIGN_OR_RETURN(ResolvedRef resolved, ResolveWithGit(options.git_url, *repo.ref, options));
  const std::string& pin = options.pinned_commit;
  std::string moved_from;  // the ref's head, when it has moved on from the pin
  if (!pin.empty() && resolved.commit != pin) {
    moved_from = resolved.commit;
    if (resolved.kind != "commit") {
      // The ref has moved on: fetch it, and take the pinned commit from its
      // history (FetchTree insists that it is there).
      resolved.kind = "commit";
      resolved.commit = pin;
    } else {
      // A commit ref: the pin must be some branch's or tag's head.
      absl::StatusOr<ResolvedRef> at_pin = ResolveWithGit(options.git_url, pin, options);
      if (!at_pin.ok() || at_pin->commit != pin) {
        return ForkError(repo, pin, options.git_url,
                         absl::StrCat("it is no branch's or tag's head there (", *repo.ref, " is ",
                                      moved_from, ")"));
      }
      resolved = *std::move(at_pin);
    }
  }
  Out(options) << "Fetching: " << resolved.fetch_ref << " (" << resolved.commit << ") from "
               << options.git_url << "\n";
  const std::string staging = StagingPath(hub_dir, dir_name);
  absl::Cleanup remove_staging = [&staging] { (void)RemoveTree(staging); };
  absl::StatusOr<std::string> fetched =
      FetchTree(options.git_url, resolved, staging, hub_dir, options.git);
  if (!fetched.ok() && !moved_from.empty() && absl::IsNotFound(fetched.status())) {
    return ForkError(repo, pin, options.git_url,
                     absl::StrCat("it is not the head of ", resolved.fetch_ref, " (", moved_from,
                                  ") nor in its history"));
  }
  HUB_ASSIGN_OR_RETURN(const std::string commit, std::move(fetched));
  HUB_RETURN_IF_ERROR(CheckFetched(repo, staging, commit,
                                   absl::StrCat("the git fetch from ", options.git_url), options));
  HUB_RETURN_IF_ERROR(Install(staging, repo_dir, hub_dir, dir_name));
  WriteRecord(hub_dir, dir_name, repo, "git_url", options.git_url, commit);
  return commit;
}

// The GitHub REST API as torch.hub asks it: v3 JSON, GITHUB_TOKEN to the
// API's host only, and once a request with the token fails, it is retried
// without, as is everything after. One per check; not thread-safe.
class GithubApi {
 public:
  explicit GithubApi(const FetchOptions& options) : gh_(options.endpoints), http_(options.http) {
    http_.headers.emplace_back("Accept: application/vnd.github.v3+json");
    http_.token_hosts = {gh_.ApiOrigin()};
  }

  absl::StatusOr<HttpGetResponse> Get(const std::string& url) {
    HUB_ASSIGN_OR_RETURN(HttpGetResponse response, HttpGet(url, http_));
    if (response.status >= 400 && response.sent_token) {
      // torch.hub retries without the token, in case it lacks permissions.
      http_.send_token = false;
      HUB_ASSIGN_OR_RETURN(response, HttpGet(url, http_));
    }
    return response;
  }

  // A 200 answer's JSON; any other answer as an error (403 and 429 saying
  // what to do about the rate limit).
  absl::StatusOr<JsonValue> GetJson(const std::string& url) {
    HUB_ASSIGN_OR_RETURN(const HttpGetResponse response, Get(url));
    if (response.status != 200) return Error(response, url);
    absl::StatusOr<JsonValue> json = ParseJson(response.body);
    if (!json.ok()) {
      return absl::DataLossError(absl::StrCat("the GitHub API's answer for ", url,
                                              " is not JSON: ", json.status().message()));
    }
    return json;
  }

  // The branches' heads, then the tags', 100 per page, until `visit` (kind
  // "branches" or "tags", name, commit) returns true.
  absl::Status ScanHeads(const RepoRef& repo,
                         const std::function<bool(absl::string_view kind, absl::string_view name,
                                                  absl::string_view sha)>& visit) {
    for (const char* kind : {"branches", "tags"}) {
      for (int page = 1;; ++page) {
        if (page > 10000) {
          return absl::FailedPreconditionError(
              absl::StrCat("the GitHub API at ", gh_.api, " keeps sending ", kind, " pages"));
        }
        const std::string url = gh_.ApiPageUrl(repo.owner, repo.name, kind, page);
        HUB_ASSIGN_OR_RETURN(const JsonValue json, GetJson(url));
        if (!json.is_array()) {
          return absl::DataLossError(
              absl::StrCat("the GitHub API's answer for ", url, " is not a JSON list"));
        }
        if (json.array().empty()) break;
        for (const JsonValue& entry : json.array()) {
          const std::optional<std::string> name = entry.GetString({"name"});
          const std::optional<std::string> sha = entry.GetString({"commit", "sha"});
          if (visit(kind, name.value_or(""), sha.value_or(""))) return absl::OkStatus();
        }
      }
    }
    return absl::OkStatus();
  }

  // Whether `commit` is `head` or in its history: the API's
  // "compare/{commit}...{head}" says "identical" or "ahead". A commit the
  // repo's network doesn't know (404, 422) is not.
  absl::StatusOr<bool> InHistory(const RepoRef& repo, absl::string_view commit,
                                 absl::string_view head) {
    if (commit == head) return true;
    const std::string url = gh_.CompareUrl(repo.owner, repo.name, commit, head);
    HUB_ASSIGN_OR_RETURN(const HttpGetResponse response, Get(url));
    if (response.status == 404 || response.status == 422) return false;
    if (response.status != 200) return Error(response, url);
    absl::StatusOr<JsonValue> json = ParseJson(response.body);
    const std::optional<std::string> status =
        json.ok() ? json->GetString({"status"}) : std::nullopt;
    if (!status.has_value()) {
      return absl::DataLossError(
          absl::StrCat("the GitHub API's answer for ", url, " has no comparison status"));
    }
    return *status == "identical" || *status == "ahead";
  }

 private:
  static absl::Status Error(const HttpGetResponse& response, const std::string& url) {
    absl::Status error = HttpError(response.status, response.head.reason, url, response.body);
    if (response.status != 403 && response.status != 429) return error;
    // GitHub's answer when the API's rate limit is used up.
    absl::Status hinted(error.code(),
                        absl::StrCat(error.message(),
                                     ". If the GitHub API's rate limit is exhausted: set "
                                     "GITHUB_TOKEN, validate with git instead "
                                     "(validate_with_git, torchhub fetch --validate-with-git), "
                                     "or skip validation"));
    error.ForEachPayload([&hinted](absl::string_view type, const absl::Cord& payload) {
      hinted.SetPayload(type, payload);
    });
    return hinted;
  }

  const GithubEndpoints& gh_;
  HttpGetOptions http_;
};

absl::Status ValidatePinnedCommitWithGithubApi(const RepoRef& repo, absl::string_view commit,
                                               const FetchOptions& options) {
  const std::string& ref = *repo.ref;
  const std::string where = options.endpoints.RepoUrl(repo.owner, repo.name);
  // "refs/heads/x" and "refs/tags/x" (torch.hub's way out of an ambiguous
  // ref) name only a branch, or only a tag.
  absl::string_view short_name = ref;
  absl::string_view only_kind;
  if (absl::ConsumePrefix(&short_name, "refs/heads/")) {
    only_kind = "branches";
  } else if (absl::ConsumePrefix(&short_name, "refs/tags/")) {
    only_kind = "tags";
  }
  GithubApi api(options);
  std::optional<std::string> named;  // the head of the branch, else tag, named `ref`
  bool a_head = false;               // some branch or tag points at `commit`
  std::map<std::string, std::string> branch_heads;
  HUB_RETURN_IF_ERROR(api.ScanHeads(
      repo, [&](absl::string_view kind, absl::string_view name, absl::string_view sha) {
        a_head = a_head || sha == commit;
        if (kind == "branches") branch_heads.emplace(name, sha);
        if (name == short_name && (only_kind.empty() || kind == only_kind)) {
          named = std::string(sha);
        }
        return named.has_value();
      }));
  if (named.has_value()) {
    HUB_ASSIGN_OR_RETURN(const bool in_history, api.InHistory(repo, commit, *named));
    if (in_history) return absl::OkStatus();
    return ForkError(
        repo, commit, where,
        absl::StrCat("it is not the head of ", ref, " (", *named, ") nor in its history"));
  }
  // A commit ref (as torch.hub takes one: a prefix of a head's commit).
  if (ref.empty() || !absl::StartsWith(commit, ref)) {
    return ForkError(repo, commit, where, absl::StrCat(ref, " is no branch or tag there"));
  }
  if (a_head) return absl::OkStatus();
  HUB_ASSIGN_OR_RETURN(const std::string default_branch, ProbeDefaultBranch(repo, options));
  const auto head = branch_heads.find(default_branch);
  if (head != branch_heads.end()) {
    HUB_ASSIGN_OR_RETURN(const bool in_history, api.InHistory(repo, commit, head->second));
    if (in_history) return absl::OkStatus();
  }
  return ForkError(repo, commit, where,
                   absl::StrCat("no branch or tag points at it, and the default branch ",
                                default_branch, " does not have it in its history"));
}

absl::Status ValidatePinnedCommitWithGit(const RepoRef& repo, absl::string_view commit,
                                         const FetchOptions& options) {
  const std::string git_url = RepoGitUrl(repo, options);
  HUB_ASSIGN_OR_RETURN(const std::vector<RemoteRef> refs, LsRemote(git_url, options.git));
  const std::string& ref = *repo.ref;
  const absl::StatusOr<ResolvedRef> resolved = ResolveRef(refs, ref, git_url);
  if (resolved.ok() && resolved->commit == commit) return absl::OkStatus();
  ResolvedRef within;  // the branch or tag whose history must hold the commit
  if (resolved.ok() && resolved->kind != "commit") {
    within = *resolved;
  } else if (!ref.empty() && absl::StartsWith(commit, ref)) {
    // A commit ref: some head (ResolveRef takes a whole commit as a prefix
    // of the heads'), else in the default branch's history.
    const absl::StatusOr<ResolvedRef> at_commit = ResolveRef(refs, commit, git_url);
    if (at_commit.ok() && at_commit->commit == commit) return absl::OkStatus();
    HUB_ASSIGN_OR_RETURN(const std::string branch, DefaultBranchOf(refs, git_url));
    HUB_ASSIGN_OR_RETURN(within, ResolveRef(refs, absl::StrCat("refs/heads/", branch), git_url));
  } else if (!resolved.ok() && !absl::IsNotFound(resolved.status())) {
    return resolved.status();
  } else {
    return ForkError(repo, commit, git_url, absl::StrCat(ref, " is no branch or tag there"));
  }
  // Fetch the ref with its history and look for the commit in it (FetchTree
  // insists that it is there); the tree written is thrown away.
  const std::string hub_dir = GetDir();
  HUB_RETURN_IF_ERROR(MakeDirs(hub_dir));
  HUB_ASSIGN_OR_RETURN(const std::string dir_name, CacheLayout::RepoDirName(repo));
  const std::string scratch = StagingPath(hub_dir, dir_name);
  absl::Cleanup remove_scratch = [&scratch] { (void)RemoveTree(scratch); };
  const std::string head = within.commit;
  within.kind = "commit";
  within.commit = std::string(commit);
  const absl::StatusOr<std::string> fetched =
      FetchTree(git_url, within, scratch, hub_dir, options.git);
  if (fetched.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(fetched.status())) return fetched.status();
  return ForkError(
      repo, commit, git_url,
      absl::StrCat("it is not the head of ", within.fetch_ref, " (", head, ") nor in its history"));
}

}  // namespace

bool OfflineFromEnvironment() { return EnvironmentFlag(kOfflineEnv); }

bool AllowInsecureRemoteFromEnvironment() { return EnvironmentFlag(kAllowInsecureRemoteEnv); }

absl::Status ValidateRefWithGithubApi(const RepoRef& repo, const FetchOptions& options) {
  const std::string& ref = *repo.ref;
  GithubApi api(options);
  bool found = false;
  HUB_RETURN_IF_ERROR(api.ScanHeads(
      repo, [&](absl::string_view /*kind*/, absl::string_view name, absl::string_view sha) {
        found = name == ref || absl::StartsWith(sha, ref);
        return found;
      }));
  if (found) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat(
      "Cannot find ", ref, " in ", options.endpoints.RepoUrl(repo.owner, repo.name),
      ". If it's a commit from a forked repo, please call hub.load() with forked repo directly."));
}

absl::Status ValidatePinnedCommit(const RepoRef& repo, absl::string_view commit,
                                  const FetchOptions& options) {
  if (!repo.ref.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot check a pinned commit of ", repo.ToString(), " without its ref"));
  }
  if (!IsCommitHex(commit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pinned commit \"", commit, "\" is not 40 lowercase hex digits"));
  }
  return options.validate_with_git ? ValidatePinnedCommitWithGit(repo, commit, options)
                                   : ValidatePinnedCommitWithGithubApi(repo, commit, options);
}

absl::Status CheckGitRemote(const RepoRef& repo, absl::string_view git_url,
                            const FetchOptions& options) {
  std::vector<std::string> own_bases = {"https://github.com", options.endpoints.web};
  if (!options.git_base.empty()) own_bases.push_back(options.git_base);
  for (const std::string& base : own_bases) {
    const std::string own = absl::StrCat(base, "/", repo.owner, "/", repo.name);
    if (git_url == own || git_url == absl::StrCat(own, ".git")) return absl::OkStatus();
  }
  const std::string full = absl::StrCat(repo.owner, "/", repo.name);
  const size_t sep = git_url.find("://");
  const std::string scheme =
      sep == absl::string_view::npos ? "" : absl::AsciiStrToLower(git_url.substr(0, sep));
  const bool local_path = scheme.empty() && absl::StartsWith(git_url, "/");
  const bool encrypted = scheme == "https" || scheme == "ssh" || scheme == "git+ssh" ||
                         scheme == "ssh+git" ||
                         (scheme.empty() && !local_path && IsRemoteEntry(git_url));  // scp-like
  absl::string_view insecure;  // why the transport is unsafe for code
  if (scheme == "http" || scheme == "git") {
    insecure = "plain text: anyone on the network path can change what it serves";
  } else if (scheme == "file" || local_path) {
    insecure = "this machine's files: whoever can write there decides what it serves";
  } else if (!encrypted && !scheme.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the git remote ", git_url, " of ", full, " has the scheme \"", scheme,
        "\"; torchhub fetches code over https:// or ssh (and, when allowed, file://, http:// or "
        "git://)"));
  } else if (!encrypted) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the git remote \"", git_url, "\" of ", full,
        " is a relative path, which would depend on the directory torchhub runs in; name it by "
        "URL (file:///absolute/path)"));
  }
  if (!insecure.empty() && !options.allow_insecure_remote &&
      !AllowInsecureRemoteFromEnvironment()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the git remote ", git_url, " of ", full, " is ", insecure,
                     ". torchhub fetches code from such a remote only when it is allowed: "
                     "allow_insecure_remote (torchhub: --allow-insecure-remote, or ",
                     kAllowInsecureRemoteEnv, "=1). Nothing was fetched"));
  }
  // Not the repo's own location: its code runs under the repo's name, so it
  // must be trusted by itself.
  return CheckRemoteIsTrusted(CacheLayout(GetDir()), git_url, repo, options.trust);
}

absl::StatusOr<FetchResult> GetCacheOrReload(absl::string_view repo_string,
                                             const FetchOptions& options) {
  const bool offline = options.offline || OfflineFromEnvironment();
  const std::string hub_dir = GetDir();
  HUB_RETURN_IF_ERROR(MakeDirs(hub_dir));
  const CacheLayout cache(hub_dir);
  HUB_ASSIGN_OR_RETURN(RepoRef repo, ParseRepoRef(repo_string));
  if (!repo.ref.has_value()) {
    absl::StatusOr<std::string> branch = !options.git_url.empty() && !offline
                                             ? GitDefaultBranch(options.git_url, options)
                                             : DefaultBranch(repo, cache, offline, options);
    if (!branch.ok()) return branch.status();
    repo.ref = *std::move(branch);
  }
  HUB_ASSIGN_OR_RETURN(const std::string dir_name, CacheLayout::RepoDirName(repo));
  const std::string repo_dir = JoinPath(hub_dir, dir_name);

  HUB_RETURN_IF_ERROR(CheckRepoIsTrusted(cache, repo, options.trust));

  FetchResult result;
  result.repo = repo;
  result.repo_dir = repo_dir;
  auto use_cache = [&]() {
    if (options.verbose) Err(options) << "Using cache found in " << repo_dir << "\n";
    result.from_cache = true;
    return result;
  };
  if (!options.force_reload && IsDirectory(repo_dir)) return use_cache();
  if (offline) {
    return absl::NotFoundError(absl::StrCat(
        "offline (", WhyOffline(options), ") and ", repo.ToString(), " is not in the cache (",
        repo_dir, " does not exist", options.force_reload ? ", or force_reload was asked" : "",
        "). Fetch it once with network access."));
  }

  // One fetch per repo dir at a time, across processes.
  const std::string lock_path = RepoLockPath(hub_dir, dir_name);
  bool waited = false;
  absl::StatusOr<FileLock> lock = FileLock::TryAcquire(lock_path);
  if (!lock.ok() && lock.status().code() == absl::StatusCode::kUnavailable) {
    waited = true;
    lock = FileLock::Acquire(lock_path);
  }
  if (!lock.ok()) return lock.status();
  // Whoever held the lock has just fetched it.
  if (waited && IsDirectory(repo_dir)) return use_cache();
  RemoveScratch(hub_dir, dir_name);

  if (!options.git_url.empty()) {
    HUB_ASSIGN_OR_RETURN(result.commit, FetchGit(repo, hub_dir, dir_name, repo_dir, options));
    return result;
  }
  if (!options.pinned_commit.empty()) {
    if (!IsCommitHex(options.pinned_commit)) {
      return absl::InvalidArgumentError(absl::StrCat("pinned commit \"", options.pinned_commit,
                                                     "\" is not 40 lowercase hex digits"));
    }
    if (!options.skip_validation) {
      HUB_RETURN_IF_ERROR(ValidatePinnedCommit(repo, options.pinned_commit, options));
    }
  } else if (!options.skip_validation && options.validate_with_git) {
    // git ls-remote on the repo: no API rate limit, and the commit it names.
    const std::string git_url = RepoGitUrl(repo, options);
    HUB_ASSIGN_OR_RETURN(const ResolvedRef resolved, ResolveWithGit(git_url, *repo.ref, options));
    result.commit = resolved.commit;
  } else if (!options.skip_validation) {
    HUB_RETURN_IF_ERROR(ValidateRefWithGithubApi(repo, options));
  }
  HUB_RETURN_IF_ERROR(FetchArchive(repo, hub_dir, dir_name, repo_dir, options, &result));
  return result;
}

}  // namespace hub
