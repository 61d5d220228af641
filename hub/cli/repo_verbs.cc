// dir, parse and fetch: where the hub dir is, how a repo maps into it, and
// bringing one there.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "hub/api/hub.h"
#include "hub/base/json.h"
#include "hub/cli/command.h"
#include "hub/cli/fetch_flags.h"
#include "hub/cli/verbs.h"

namespace hub::cli {
namespace {

constexpr char kDirUsage[] = R"(usage: torchhub dir [--json]

Prints the hub dir, resolved as torch.hub.get_dir() resolves it.
)";

constexpr char kParseUsage[] = R"(usage: torchhub parse REPO [--json]

Parses REPO ("owner/name" or "owner/name:ref") as torch.hub does, refusing
strings that are malformed or unsafe, and prints its owner, name, ref, the
normalised ref and the cache directory it maps to. Without a ref the default
branch is found at fetch time (main, else master): both candidates are shown.
)";

constexpr char kFetchUsage[] = R"(usage: torchhub fetch REPO [--force-reload] [--skip-validation]
                          [--trust-repo check|true|false|none] [--offline] [--quiet] [--json]
                          [--git-url URL] [--validate-with-git] [--lock FILE]
                          [--allow-insecure-remote] [--connect-timeout T]
                          [--stall-timeout T] [--tries N]

torch.hub's _get_cache_or_reload: puts REPO ("owner/name[:ref]"; no ref: the
default branch, main else master) into the hub dir as
<hub_dir>/<owner>_<name>_<ref>, from GitHub's archive, after the trust check
(--trust-repo, default check: asks on the terminal unless already trusted)
and the GitHub API check that the ref exists (--skip-validation skips it).
A cached copy is used unless --force-reload. The archive is checked whole
before anything is written, and the directory appears complete or not at
all. Prints the directory (or JSON).

  --offline            no network at all (also TORCHHUB_OFFLINE=1)
  --quiet              no "Using cache found in ..." message
  --git-url URL        fetch from any git remote (https://, git://, file://)
                       through libgit2, just the one ref; REPO's owner/name
                       then only name the cache directory
  --validate-with-git  check the ref with git ls-remote on the repo's git URL
                       (no API rate limit) instead of the GitHub API
  --lock FILE          only as FILE (see `torchhub lock`) pins REPO: a cached
                       copy must have the pinned content (checked, no network),
                       else the pinned commit is fetched and checked before it
                       is installed; default $TORCHHUB_LOCK. A git remote
                       the lock names that is not REPO's own GitHub location
                       must be trusted by itself (asked like a repo)
  --allow-insecure-remote
                       let a lock (or `torchhub lock`) use a file://, http://
                       or git:// remote (also TORCHHUB_ALLOW_INSECURE_REMOTE=1)
)" HUB_CLI_NETWORK_FLAGS_TEXT R"(
GitHub's hosts come from TORCHHUB_GITHUB_URL and TORCHHUB_GITHUB_API_URL
(mirrors, tests); GITHUB_TOKEN is sent to the API host only.
)";

int RunDir(const Call<NoFlags>& call) {
  if (const std::optional<int> usage = call.WantPositionals(0)) return *usage;
  const std::string dir = GetDir();
  if (call.json) {
    call.out() << JsonObject().Add("hub_dir", JsonString(dir)).Build() << "\n";
  } else {
    call.out() << dir << "\n";
  }
  return kExitOk;
}

int RunParse(const Call<NoFlags>& call) {
  if (const std::optional<int> usage = call.WantPositionals(1)) return *usage;
  if (absl::Status s = CheckRepoArgument("parse", call.positional[0]); !s.ok()) {
    return call.BadValue(s.message());
  }
  const absl::StatusOr<ParsedRepo> parsed = ParseRepo(call.positional[0]);
  if (!parsed.ok()) return call.Fail(parsed.status());
  const RepoRef& repo = parsed->repo;
  if (call.json) {
    auto opt = [](const std::optional<std::string>& s) {
      return s.has_value() ? JsonString(*s) : JsonNull();
    };
    call.out() << JsonObject()
                      .Add("repo", JsonString(repo.ToString()))
                      .Add("owner", JsonString(repo.owner))
                      .Add("name", JsonString(repo.name))
                      .Add("ref", opt(repo.ref))
                      .Add("normalized_ref", opt(parsed->normalized_ref))
                      .Add("owner_name", JsonString(repo.OwnerName()))
                      .Add("hub_dir", JsonString(parsed->hub_dir))
                      .Add("cache_dir", opt(parsed->cache_dir))
                      .Add("cache_dir_candidates", JsonStringArray(parsed->cache_dir_candidates))
                      .Build()
               << "\n";
    return kExitOk;
  }
  call.out() << "owner:          " << repo.owner << "\n"
             << "name:           " << repo.name << "\n"
             << "ref:            " << repo.ref.value_or("(default branch: main, else master)")
             << "\n"
             << "normalized ref: " << parsed->normalized_ref.value_or("(not known until fetched)")
             << "\n"
             << "cache dir:      "
             << absl::StrJoin(parsed->cache_dir_candidates, "\n            or: ") << "\n";
  return kExitOk;
}

int RunFetch(const Call<FetchFlags>& call) {
  if (const std::optional<int> usage = call.WantPositionals(1)) return *usage;
  if (absl::Status s = CheckRepoArgument("fetch", call.positional[0]); !s.ok()) {
    return call.BadValue(s.message());
  }
  absl::StatusOr<HubOptions> options = HubOptionsFrom(call.flags, call.err(), call.verbosity);
  if (!options.ok()) return call.Usage(options.status().message());
  ScopedInterruptHandler interrupts;
  options->fetch.download.cancel = interrupts.flag();
  const absl::StatusOr<FetchResult> result = Fetch(call.positional[0], *options, "load");
  if (!result.ok()) return FailOrInterrupted(call.err(), result.status());
  if (call.json) {
    call.out() << JsonObject()
                      .Add("repo", JsonString(result->repo.ToString()))
                      .Add("repo_dir", JsonString(result->repo_dir))
                      .Add("from_cache", JsonBool(result->from_cache))
                      .Add("archive_url", result->archive_url.empty()
                                              ? JsonNull()
                                              : JsonString(result->archive_url))
                      .Add("commit",
                           result->commit.empty() ? JsonNull() : JsonString(result->commit))
                      .Build()
               << "\n";
  } else {
    call.out() << result->repo_dir << "\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Verb> RepoVerbs() {
  return {MakeVerb<NoFlags>("dir", kDirUsage, &RunDir),
          MakeVerb<NoFlags>("parse", kParseUsage, &RunParse),
          MakeVerb<FetchFlags>("fetch", kFetchUsage, &RunFetch)};
}

}  // namespace hub::cli
