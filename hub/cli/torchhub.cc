#include "hub/cli/torchhub.h"

#include <unistd.h>
#include <algorithm>
#include <atomic>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/base/errno_status.h"
#include "hub/base/json.h"
#include "hub/base/status_macros.h"
#include "hub/base/terminal_text.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/cli/cache_prune_verb.h"
#include "hub/cli/lock_verbs.h"
#include "hub/download/downloader.h"
#include "hub/fs/files.h"
#include "hub/lock/lock_file.h"
#include "hub/lock/pinned.h"
#include "hub/ref/repo_ref.h"
#include "hub/source/cache_listing.h"
#include "hub/source/source.h"
#include "hub/trust/trust.h"
#include "hub/trust/trusted_list.h"

namespace hub::cli {

int Usage(std::ostream& err, absl::string_view message, absl::string_view usage) {
  err << "torchhub: " << EscapeControls(message) << "\n\n" << usage;
  return kExitUsage;
}

int Fail(std::ostream& err, const absl::Status& status) {
  // Messages carry repos' and servers' text (Python errors, error pages).
  err << "torchhub: error: " << EscapeControls(status.message()) << "\n";
  return kExitFailure;
}

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int /*signal*/) { g_interrupted.store(true); }

struct RegisteredVerb {
  std::string usage;
  VerbFunction run;
  VerbOptions options;
};

std::map<std::string, RegisteredVerb>& RegisteredVerbs() {
  static auto* verbs = new std::map<std::string, RegisteredVerb>();
  return *verbs;
}

VerbHandOff& HandOff() {
  static auto* hand_off = new VerbHandOff();
  return *hand_off;
}

}  // namespace

ScopedInterruptHandler::ScopedInterruptHandler() {
  g_interrupted = false;
  struct sigaction action {};
  action.sa_handler = &OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

ScopedInterruptHandler::~ScopedInterruptHandler() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

const std::atomic<bool>* ScopedInterruptHandler::flag() const { return &g_interrupted; }

void RegisterVerb(const std::string& name, const std::string& usage, VerbFunction run,
                  VerbOptions options) {
  RegisteredVerbs()[name] = RegisteredVerb{usage, std::move(run), std::move(options)};
}

bool IsLibtorchVerb(absl::string_view verb) {
  return std::find(std::begin(kLibtorchVerbs), std::end(kLibtorchVerbs), verb) !=
         std::end(kLibtorchVerbs);
}

void SetVerbHandOff(VerbHandOff hand_off) { HandOff() = std::move(hand_off); }

namespace {

constexpr char kMainUsage[] = R"(usage: torchhub [--hub-dir DIR] VERB [ARGS...] [--json] [--help]

PyTorch Hub for C++: the same cache as Python's torch.hub.

verbs:
  dir                    print the hub dir (torch.hub.get_dir())
  parse REPO             show how REPO ("owner/name[:ref]") is parsed and cached
  trust list             list the repos in trusted_list
  trust add REPO         trust REPO (append it to trusted_list)
  trust remove REPO      remove REPO from trusted_list
  trust check REPO       say whether REPO is trusted and why (exit 1 if not)
  download URL DST       download URL to the file DST, verified and atomic
  fetch REPO             bring owner/name[:ref] into the hub dir (GitHub)
  cache ls               list the cached repos and checkpoints
  cache verify           re-hash the checkpoints against their records or names
                         (and, with --lock FILE, everything the lock pins)
  cache prune [--older-than DURATION] [--max-size SIZE] [--dry-run]
                         remove what was not used lately, or the least recently
                         used, never what another process is using
  lock REPO|URL...       pin repos (commit, content) and weight files (SHA-256)
                         in torchhub.lock; --lock FILE on fetch, list, help,
                         load and load-state-dict then takes only those
  list REPO|DIR          list a hubconf's entrypoints (torch.hub.list)
  help REPO|DIR ENTRY    show an entrypoint's docstring (torch.hub.help)
  load REPO|DIR ENTRY [ARG|KEY=VALUE...]
                         call an entrypoint (torch.hub.load); TorchScript out
  load-state-dict URL|FILE
                         download (torch.hub.load_state_dict_from_url) or read a
                         checkpoint and list its state dict, without Python

options:
  --hub-dir DIR          use DIR as the hub dir (torch.hub.set_dir(DIR))
  --lock FILE            (a verb's) load only what FILE pins; TORCHHUB_LOCK=FILE
                         does the same for every command
  --json                 print results as JSON
  --help                 show help for a verb

The hub dir is, in order: --hub-dir, $TORCH_HOME/hub, $XDG_CACHE_HOME/torch/hub,
~/.cache/torch/hub. Exit codes: 0 ok, 1 failure, 2 usage error, 130
interrupted (Ctrl-C).
)";

constexpr char kDirUsage[] = R"(usage: torchhub dir [--json]

Prints the hub dir, resolved as torch.hub.get_dir() resolves it.
)";

constexpr char kParseUsage[] = R"(usage: torchhub parse REPO [--json]

Parses REPO ("owner/name" or "owner/name:ref") as torch.hub does, refusing
strings that are malformed or unsafe, and prints its owner, name, ref, the
normalised ref and the cache directory it maps to. Without a ref the default
branch is found at fetch time (main, else master): both candidates are shown.
)";

constexpr char kTrustUsage[] = R"(usage: torchhub trust list [--json]
       torchhub trust add REPO|URL [--json]
       torchhub trust remove REPO|URL [--json]
       torchhub trust check REPO|URL [--json]

Manages the hub dir's trusted_list, shared with Python's torch.hub. A repo is
trusted when it is listed there, when its directory for the given ref is
already in the hub dir, when its owner is one of facebookresearch,
facebookincubator, pytorch or fairinternal, or when TORCHHUB_TRUST names it
or its owner ("*" trusts everything). `trust check` exits 1 when REPO is not
trusted. REPO's ref, if any, only matters to the already-downloaded rule.

In place of REPO, a git remote's URL (https://..., ssh://..., user@host:path,
file://...): a lock's remote that is not its repo's own GitHub location is
trusted only by its exact URL (a trusted_list line, or TORCHHUB_TRUST).
)";

constexpr char kDownloadUsage[] =
    R"(usage: torchhub download URL DST [--hash-prefix HEX] [--no-progress] [--keep]
                         [--max-attempts N] [--json]

torch.hub.download_url_to_file(URL, DST, hash_prefix, progress): streams URL
into a temp file beside DST, checks its SHA-256 against --hash-prefix, and
renames it onto DST; on any failure DST is untouched and no temp file is
left. Beyond torch.hub: a short body is an error; connection errors, 429 and
5xx are retried (--max-attempts, default 5) and resumed with Range where the
server allows it; several processes downloading one DST make one transfer.

  --hash-prefix HEX   the start of the file's SHA-256 (lowercase hex)
  --no-progress       no progress display (default: a bar on a terminal,
                      sparse lines otherwise, on stderr)
  --keep              if DST exists, keep it (checked against --hash-prefix)
  --max-attempts N    transfers to try in all (1: no retries)

Honours GITHUB_TOKEN (sent to api.github.com only), http_proxy, https_proxy,
no_proxy, CURL_CA_BUNDLE, SSL_CERT_FILE and SSL_CERT_DIR. Ctrl-C stops the
transfer and cleans up (exit 130).
)";

constexpr char kFetchUsage[] = R"(usage: torchhub fetch REPO [--force-reload] [--skip-validation]
                          [--trust-repo check|true|false|none] [--offline] [--quiet] [--json]
                          [--git-url URL] [--validate-with-git] [--lock FILE]
                          [--allow-insecure-remote]

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

GitHub's hosts come from TORCHHUB_GITHUB_URL and TORCHHUB_GITHUB_API_URL
(mirrors, tests); GITHUB_TOKEN is sent to the API host only.
)";

// Options list, help and load share with fetch; the end of their usage.
#define HUB_CLI_FETCH_OPTIONS_TEXT                                               \
  "\nREPO is \"owner/name[:ref]\", fetched as `torchhub fetch` does (the same\n" \
  "--force-reload, --skip-validation, --trust-repo, --offline, --git-url,\n"     \
  "--validate-with-git, --lock and --allow-insecure-remote), or with --source\n" \
  "local a directory with a hubconf.py (which no lock file pins).\n"

constexpr char kListUsage[] =
    R"(usage: torchhub list REPO|DIR [--source github|local] [--no-cache] [--json]
                         [fetch options]

torch.hub.list: the callables of REPO's hubconf.py whose names don't start
with "_", in dir() order. The answer is kept in the entrypoint cache
(<hub_dir>/.torchhub-cpp/entrypoints), keyed by the repo's content and the
Python environment, so asking again starts no Python; --no-cache always
runs the hubconf.
)" HUB_CLI_FETCH_OPTIONS_TEXT;

constexpr char kHelpUsage[] =
    R"(usage: torchhub help REPO|DIR ENTRY [--source github|local] [--no-cache] [--json]
                         [fetch options]

torch.hub.help: checks the hubconf's `dependencies`, then prints ENTRY's
docstring, or says it has none. Answered from the entrypoint cache when it
can (see `torchhub list --help`).
)" HUB_CLI_FETCH_OPTIONS_TEXT;

constexpr char kLoadUsage[] =
    R"(usage: torchhub load REPO|DIR ENTRY [ARG...] [KEY=VALUE...] [--source github|local]
                         [--save-torchscript OUT.pt] [--input SHAPE] [--forward]
                         [--python-object] [--json] [fetch options]

torch.hub.load: calls ENTRY(*ARGS, **KWARGS) from REPO's hubconf.py through
embedded Python, and reports what came back. A value is JSON (1, 2.5, true,
null, "text", [1, 2], {"k": 1}), Python's True/False/None, or else a plain
string (weights=ResNet18_Weights.DEFAULT).

An nn.Module becomes TorchScript that runs without Python: scripted, else
traced with an input of --input's shape.

  --save-torchscript OUT.pt  write the TorchScript module (torch::jit::load
                             reads it; no Python needed)
  --input SHAPE              e.g. 1x3x224x224: the example input for tracing
                             and the input of --forward (values from seed 0)
  --forward                  run one forward pass in C++ and print the output
  --python-object            keep an nn.Module as a Python object
)" HUB_CLI_FETCH_OPTIONS_TEXT;

constexpr char kCacheUsage[] = R"(usage: torchhub cache ls [--json]
       torchhub cache verify [--lock FILE] [--json]
       torchhub cache prune [--older-than DURATION] [--max-size SIZE] [--lock FILE]
                            [--dry-run] [--json]

ls: the hub dir's repos (with what was fetched, when torchhub fetched them)
and the files in its checkpoints/ directory.

verify: re-hashes every checkpoint and compares it with the SHA-256 recorded
when torchhub downloaded it (checkpoints/.<name>.source), else with the hash
prefix in its name (resnet18-f37072fd.pth: torch.hub's check_hash rule), else
says it can't be checked. With --lock FILE (or TORCHHUB_LOCK), also checks
every item the lock file pins: each repo dir against its content digest,
each file against its whole SHA-256, and reports pinned items that are
missing. Exits 1 when anything differs or is missing.

prune: removes repos, checkpoints and entrypoint-cache entries not used for
DURATION (--older-than: 30d, 12h, 90m, 1w, 1h30m), then, with --max-size
(500M, 10G, 1.5GiB: K/M/G/T are 1024-based, KB/MB/GB/TB 1000-based; or
bytes), the least recently used until the cache fits; at least one is
needed. Also removes what dead fetches and downloads left behind, and lock
files nothing uses; a temp file with no download record (Python's) only once
older than DURATION, or an hour. Last use is the later of mtime and atime
(relatime updates atime about daily). Anything another process is fetching
or downloading (its lock is held) is skipped and reported "in use"; a repo is
moved aside before it is deleted, so it is never seen half removed.
With --lock FILE (or TORCHHUB_LOCK), what the lock file pins is kept.
--dry-run shows what would go. Exits 1 when a removal failed.
)";

// Splits verb arguments into positionals, the flags every verb shares, and
// the verb's own options.
absl::StatusOr<Invocation> ParseVerbArgs(const std::vector<std::string>& args, size_t start,
                                         const VerbOptions& allowed) {
  Invocation inv;
  bool only_positional = false;
  auto contains = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || !absl::StartsWith(a, "-") || a.size() == 1) {
      inv.positional.push_back(a);
    } else if (a == "--") {
      only_positional = true;
    } else if (a == "--json") {
      inv.json = true;
    } else if (a == "--help" || a == "-h") {
      inv.help = true;
    } else if (contains(allowed.flags, a)) {
      inv.options[a] = "";
    } else {
      const size_t eq = a.find('=');
      const std::string name = a.substr(0, eq);
      if (!contains(allowed.valued, name)) {
        return absl::InvalidArgumentError(absl::StrCat("unknown option ", name));
      }
      if (eq != std::string::npos) {
        inv.options[name] = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        inv.options[name] = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
    }
  }
  return inv;
}

// Checks the positional count; prints usage when it is wrong.
bool WantPositionals(const Invocation& inv, size_t n, absl::string_view usage, std::ostream& err,
                     int* exit_code) {
  if (inv.positional.size() == n) return true;
  *exit_code = Usage(err,
                     inv.positional.size() < n
                         ? "missing argument"
                         : absl::StrCat("unexpected argument \"", inv.positional[n], "\""),
                     usage);
  return false;
}

int RunDir(const Invocation& inv, std::ostream& out, std::ostream& err) {
  int code = kExitOk;
  if (!WantPositionals(inv, 0, kDirUsage, err, &code)) return code;
  const std::string dir = GetDir();
  if (inv.json) {
    out << JsonObject().Add("hub_dir", JsonString(dir)).Build() << "\n";
  } else {
    out << dir << "\n";
  }
  return kExitOk;
}

int RunParse(const Invocation& inv, std::ostream& out, std::ostream& err) {
  int code = kExitOk;
  if (!WantPositionals(inv, 1, kParseUsage, err, &code)) return code;
  absl::StatusOr<RepoRef> repo = ParseRepoRef(inv.positional[0]);
  if (!repo.ok()) return Fail(err, repo.status());
  const CacheLayout cache(GetDir());
  std::optional<std::string> normalized;
  std::optional<std::string> cache_dir;
  std::vector<std::string> candidates;
  if (repo->ref.has_value()) {
    normalized = NormalizeRef(*repo->ref);
    cache_dir = *cache.RepoDir(*repo);
    candidates.push_back(*cache_dir);
  } else {
    for (absl::string_view branch : kDefaultBranchCandidates) {
      candidates.push_back(*cache.RepoDir(repo->WithRef(std::string(branch))));
    }
  }
  if (inv.json) {
    auto opt = [](const std::optional<std::string>& s) {
      return s.has_value() ? JsonString(*s) : JsonNull();
    };
    out << JsonObject()
               .Add("repo", JsonString(repo->ToString()))
               .Add("owner", JsonString(repo->owner))
               .Add("name", JsonString(repo->name))
               .Add("ref", opt(repo->ref))
               .Add("normalized_ref", opt(normalized))
               .Add("owner_name", JsonString(repo->OwnerName()))
               .Add("hub_dir", JsonString(cache.hub_dir()))
               .Add("cache_dir", opt(cache_dir))
               .Add("cache_dir_candidates", JsonStringArray(candidates))
               .Build()
        << "\n";
    return kExitOk;
  }
  out << "owner:          " << repo->owner << "\n"
      << "name:           " << repo->name << "\n"
      << "ref:            " << repo->ref.value_or("(default branch: main, else master)") << "\n"
      << "normalized ref: " << normalized.value_or("(not known until fetched)") << "\n"
      << "cache dir:      " << absl::StrJoin(candidates, "\n            or: ") << "\n";
  return kExitOk;
}

// trust add|remove|check URL: a git remote, trusted by its exact URL.
int RunTrustRemote(const std::string& action, const std::string& url, const Invocation& inv,
                   std::ostream& out, std::ostream& err) {
  const CacheLayout cache(GetDir());
  const TrustedList list(cache);
  absl::StatusOr<TrustReason> reason = WhyRemoteTrusted(cache, url);  // also checks the URL
  if (!reason.ok()) return Fail(err, reason.status());
  if (action == "add" || action == "remove") {
    const bool add = action == "add";
    if (absl::Status s = add ? MakeDirs(cache.hub_dir()) : absl::OkStatus(); !s.ok()) {
      return Fail(err, s);
    }
    absl::StatusOr<bool> changed = add ? list.Add(url) : list.Remove(url);
    if (!changed.ok()) return Fail(err, changed.status());
    if (inv.json) {
      out << JsonObject()
                 .Add("entry", JsonString(url))
                 .Add(add ? "added" : "removed", JsonBool(*changed))
                 .Add("trusted_list", JsonString(list.path()))
                 .Build()
          << "\n";
    } else {
      const char* what =
          *changed ? (add ? "added " : "removed ") : (add ? "already listed: " : "not listed: ");
      out << what << url << " (" << list.path() << ")\n";
    }
    return kExitOk;
  }
  const bool trusted = *reason != TrustReason::kNotTrusted;
  if (inv.json) {
    out << JsonObject()
               .Add("remote", JsonString(url))
               .Add("trusted", JsonBool(trusted))
               .Add("reason", JsonString(TrustReasonName(*reason)))
               .Build()
        << "\n";
  } else {
    out << url << ": " << (trusted ? "trusted (" : "") << TrustReasonName(*reason)
        << (trusted ? ")" : "") << "\n";
  }
  return trusted ? kExitOk : kExitFailure;
}

int RunTrust(const Invocation& inv, std::ostream& out, std::ostream& err) {
  if (inv.positional.empty()) return Usage(err, "missing trust action", kTrustUsage);
  const std::string& action = inv.positional[0];
  const CacheLayout cache(GetDir());
  const TrustedList list(cache);

  if (action == "list") {
    if (inv.positional.size() != 1) {
      return Usage(err, absl::StrCat("unexpected argument \"", inv.positional[1], "\""),
                   kTrustUsage);
    }
    absl::StatusOr<std::vector<std::string>> entries = list.Read();
    if (!entries.ok()) return Fail(err, entries.status());
    if (inv.json) {
      std::vector<std::string> owners(std::begin(kTrustedRepoOwners), std::end(kTrustedRepoOwners));
      out << JsonObject()
                 .Add("trusted_list", JsonString(list.path()))
                 .Add("entries", JsonStringArray(*entries))
                 .Add("trusted_owners", JsonStringArray(owners))
                 .Add("environment", JsonStringArray(TrustedFromEnvironment()))
                 .Build()
          << "\n";
    } else {
      for (const std::string& e : *entries) out << e << "\n";
    }
    return kExitOk;
  }

  if (action != "add" && action != "remove" && action != "check") {
    return Usage(err, absl::StrCat("unknown trust action \"", action, "\""), kTrustUsage);
  }
  if (inv.positional.size() != 2) {
    return Usage(err,
                 inv.positional.size() < 2
                     ? absl::StrCat("trust ", action, " needs a REPO")
                     : absl::StrCat("unexpected argument \"", inv.positional[2], "\""),
                 kTrustUsage);
  }
  if (IsRemoteEntry(inv.positional[1])) {
    return RunTrustRemote(action, inv.positional[1], inv, out, err);
  }
  absl::StatusOr<RepoRef> repo = ParseRepoRef(inv.positional[1]);
  if (!repo.ok()) return Fail(err, repo.status());
  const std::string owner_name = repo->OwnerName();

  if (action == "add") {
    if (absl::Status s = MakeDirs(cache.hub_dir()); !s.ok()) return Fail(err, s);
    absl::StatusOr<bool> added = list.Add(owner_name);
    if (!added.ok()) return Fail(err, added.status());
    if (inv.json) {
      out << JsonObject()
                 .Add("entry", JsonString(owner_name))
                 .Add("added", JsonBool(*added))
                 .Add("trusted_list", JsonString(list.path()))
                 .Build()
          << "\n";
      return kExitOk;
    }
    out << (*added ? "added " : "already listed: ") << owner_name << " (" << list.path() << ")\n";
    return kExitOk;
  }
  if (action == "remove") {
    absl::StatusOr<bool> removed = list.Remove(owner_name);
    if (!removed.ok()) return Fail(err, removed.status());
    absl::StatusOr<TrustReason> still = WhyTrusted(cache, *repo);
    if (inv.json) {
      out << JsonObject()
                 .Add("entry", JsonString(owner_name))
                 .Add("removed", JsonBool(*removed))
                 .Add("trusted_list", JsonString(list.path()))
                 .Add("still_trusted_because", still.ok() && *still != TrustReason::kNotTrusted
                                                   ? JsonString(TrustReasonName(*still))
                                                   : JsonNull())
                 .Build()
          << "\n";
      return kExitOk;
    }
    out << (*removed ? "removed " : "not listed: ") << owner_name << " (" << list.path() << ")\n";
    if (still.ok() && *still != TrustReason::kNotTrusted) {
      err << "torchhub: note: " << repo->ToString() << " is still trusted ("
          << TrustReasonName(*still) << ")\n";
    }
    return kExitOk;
  }
  // check
  absl::StatusOr<TrustReason> reason = WhyTrusted(cache, *repo);
  if (!reason.ok()) return Fail(err, reason.status());
  const bool trusted = *reason != TrustReason::kNotTrusted;
  if (inv.json) {
    out << JsonObject()
               .Add("repo", JsonString(repo->ToString()))
               .Add("trusted", JsonBool(trusted))
               .Add("reason", JsonString(TrustReasonName(*reason)))
               .Build()
        << "\n";
  } else {
    out << repo->ToString() << ": " << (trusted ? "trusted (" : "") << TrustReasonName(*reason)
        << (trusted ? ")" : "") << "\n";
  }
  return trusted ? kExitOk : kExitFailure;
}

int RunDownload(const Invocation& inv, std::ostream& out, std::ostream& err) {
  int code = kExitOk;
  if (!WantPositionals(inv, 2, kDownloadUsage, err, &code)) return code;
  DownloadOptions options;
  options.hash_prefix = inv.Value("--hash-prefix");
  options.progress = !inv.Has("--no-progress");
  options.progress_stream = &err;
  if (inv.Has("--keep")) options.if_exists = DownloadOptions::IfExists::kKeep;
  if (const std::optional<std::string> n = inv.Value("--max-attempts")) {
    if (!absl::SimpleAtoi(*n, &options.max_attempts) || options.max_attempts < 1) {
      return Usage(err, absl::StrCat("--max-attempts wants a whole number >= 1, not \"", *n, "\""),
                   kDownloadUsage);
    }
  }
  ScopedInterruptHandler interrupts;
  options.cancel = interrupts.flag();
  const absl::StatusOr<DownloadResult> result =
      DownloadUrlToFile(inv.positional[0], inv.positional[1], options);
  if (!result.ok()) {
    Fail(err, result.status());
    return result.status().code() == absl::StatusCode::kCancelled ? kExitInterrupted : kExitFailure;
  }
  if (inv.json) {
    out << JsonObject()
               .Add("path", JsonString(result->path))
               .Add("sha256", result->sha256.empty() ? JsonNull() : JsonString(result->sha256))
               .Add("bytes", JsonInt(result->bytes))
               .Add("attempts", JsonInt(result->attempts))
               .Add("resumed_bytes", JsonInt(result->resumed_bytes))
               .Add("reused", JsonBool(result->reused))
               .Add("final_url", JsonString(result->final_url))
               .Build()
        << "\n";
  } else {
    out << result->path << "\n";
  }
  return kExitOk;
}

int RunFetch(const Invocation& inv, std::ostream& out, std::ostream& err) {
  int code = kExitOk;
  if (!WantPositionals(inv, 1, kFetchUsage, err, &code)) return code;
  absl::StatusOr<FetchOptions> parsed = FetchOptionsFrom(inv, "load", err);
  if (!parsed.ok()) return Usage(err, parsed.status().message(), kFetchUsage);
  FetchOptions options = *std::move(parsed);
  ScopedInterruptHandler interrupts;
  options.download.cancel = interrupts.flag();
  const absl::StatusOr<FetchResult> result =
      FetchRepo(inv.positional[0], options, inv.Value("--lock").value_or(""));
  if (!result.ok()) {
    Fail(err, result.status());
    return result.status().code() == absl::StatusCode::kCancelled ? kExitInterrupted : kExitFailure;
  }
  if (inv.json) {
    out << JsonObject()
               .Add("repo", JsonString(result->repo.ToString()))
               .Add("repo_dir", JsonString(result->repo_dir))
               .Add("from_cache", JsonBool(result->from_cache))
               .Add("archive_url",
                    result->archive_url.empty() ? JsonNull() : JsonString(result->archive_url))
               .Add("commit", result->commit.empty() ? JsonNull() : JsonString(result->commit))
               .Build()
        << "\n";
  } else {
    out << result->repo_dir << "\n";
  }
  return kExitOk;
}

int RunCacheVerify(const Invocation& inv, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::vector<CheckpointCheck>> checks = VerifyCheckpoints(GetDir());
  if (!checks.ok()) return Fail(err, checks.status());
  bool all_ok = true;
  std::vector<std::string> rows;
  for (const CheckpointCheck& c : *checks) {
    const char* verdict = c.verdict == CheckpointCheck::Verdict::kOk         ? "ok"
                          : c.verdict == CheckpointCheck::Verdict::kMismatch ? "mismatch"
                                                                             : "unchecked";
    if (c.verdict == CheckpointCheck::Verdict::kMismatch) all_ok = false;
    if (inv.json) {
      rows.push_back(JsonObject()
                         .Add("file", JsonString(c.name))
                         .Add("bytes", JsonInt(c.bytes))
                         .Add("sha256", JsonString(c.sha256))
                         .Add("verdict", JsonString(verdict))
                         .Add("against", c.against.empty() ? JsonNull() : JsonString(c.against))
                         .Add("expected", c.expected.empty() ? JsonNull() : JsonString(c.expected))
                         .Build());
    } else if (c.verdict == CheckpointCheck::Verdict::kUnchecked) {
      out << "unchecked  " << c.name << " (no record and no hash in its name)\n";
    } else {
      out << (c.verdict == CheckpointCheck::Verdict::kOk ? "ok         " : "MISMATCH   ") << c.name
          << " (against its " << c.against << ": expected " << c.expected << ", got " << c.sha256
          << ")\n";
    }
  }
  // The lock's pins: every repo dir's content digest and every file's SHA-256.
  std::vector<std::string> lock_rows;
  const std::optional<std::string> lock_path = LockPathFor(inv.Value("--lock").value_or(""));
  if (lock_path.has_value()) {
    std::map<std::string, std::string> hashed;  // the checkpoints just re-hashed
    for (const CheckpointCheck& c : *checks) hashed[c.name] = c.sha256;
    absl::StatusOr<bool> pinned_ok =
        VerifyAgainstLock(*lock_path, hashed, inv.json, &lock_rows, out);
    if (!pinned_ok.ok()) return Fail(err, pinned_ok.status());
    all_ok = all_ok && *pinned_ok;
  }
  if (inv.json) {
    JsonObject result;
    result.Add("ok", JsonBool(all_ok)).Add("checkpoints", JsonArray(rows));
    if (lock_path.has_value()) {
      result.Add("lock_file", JsonString(*lock_path)).Add("pinned", JsonArray(lock_rows));
    }
    out << result.Build() << "\n";
  }
  return all_ok ? kExitOk : kExitFailure;
}

int RunCache(const Invocation& inv, std::ostream& out, std::ostream& err) {
  int code = kExitOk;
  if (!inv.positional.empty() && inv.positional[0] == "prune") {
    if (!WantPositionals(inv, 1, kCacheUsage, err, &code)) return code;
    return RunCachePrune(inv, kCacheUsage, out, err);
  }
  for (const auto& [name, value] : inv.options) {
    const bool verify_lock =
        name == "--lock" && !inv.positional.empty() && inv.positional[0] == "verify";
    if (!verify_lock) {
      return Usage(
          err,
          absl::StrCat(name, " is for cache prune", name == "--lock" ? " and verify" : "", " only"),
          kCacheUsage);
    }
  }
  if (!inv.positional.empty() && inv.positional[0] == "verify") {
    if (!WantPositionals(inv, 1, kCacheUsage, err, &code)) return code;
    return RunCacheVerify(inv, out, err);
  }
  if (inv.positional.empty() || inv.positional[0] != "ls") {
    return Usage(err,
                 inv.positional.empty()
                     ? "missing cache action"
                     : absl::StrCat("unknown cache action \"", inv.positional[0], "\""),
                 kCacheUsage);
  }
  if (!WantPositionals(inv, 1, kCacheUsage, err, &code)) return code;
  const std::string hub_dir = GetDir();
  absl::StatusOr<CacheListing> listing = ListCache(hub_dir);
  if (!listing.ok()) return Fail(err, listing.status());
  if (inv.json) {
    std::vector<std::string> repos;
    for (const CachedRepo& r : listing->repos) {
      repos.push_back(JsonObject()
                          .Add("dir", JsonString(r.dir))
                          .Add("source", r.source_json.empty() ? JsonNull() : r.source_json)
                          .Build());
    }
    std::vector<std::string> files;
    for (const CachedFile& f : listing->checkpoints) {
      files.push_back(
          JsonObject().Add("file", JsonString(f.name)).Add("bytes", JsonInt(f.bytes)).Build());
    }
    out << JsonObject()
               .Add("hub_dir", JsonString(hub_dir))
               .Add("repos", JsonArray(repos))
               .Add("checkpoints", JsonArray(files))
               .Build()
        << "\n";
    return kExitOk;
  }
  out << "hub dir: " << hub_dir << "\n";
  out << "repos:\n";
  for (const CachedRepo& r : listing->repos) out << "  " << r.dir << "\n";
  out << "checkpoints:\n";
  for (const CachedFile& f : listing->checkpoints) {
    out << "  " << f.name << " (" << f.bytes << " bytes)\n";
  }
  return kExitOk;
}

HubconfBackend& Backend() {
  static HubconfBackend* const backend = new HubconfBackend();
  return *backend;
}

const std::vector<std::string>& FetchFlags() {
  static const std::vector<std::string>* const flags = new std::vector<std::string>{
      "--force-reload", "--skip-validation",   "--offline",
      "--quiet",        "--validate-with-git", "--allow-insecure-remote"};
  return *flags;
}
const std::vector<std::string>& FetchValued() {
  static const std::vector<std::string>* const valued =
      new std::vector<std::string>{"--trust-repo", "--git-url", "--lock"};
  return *valued;
}

// The repo dir REPO|DIR names: a local directory (--source local), or the
// GitHub repo brought into the hub dir as torch.hub does.
absl::StatusOr<std::string> ResolveRepoDir(const Invocation& inv, Source source,
                                           const char* calling_fn, std::ostream& err) {
  if (source == Source::kLocal) {
    const std::string& dir = inv.positional[0];
    if (!IsDirectory(dir)) {
      return absl::NotFoundError(absl::StrCat(dir,
                                              " is not a directory (--source local wants a "
                                              "directory with a hubconf.py)"));
    }
    return RealPath(dir, dir);
  }
  HUB_ASSIGN_OR_RETURN(FetchOptions options, FetchOptionsFrom(inv, calling_fn, err));
  ScopedInterruptHandler interrupts;
  options.download.cancel = interrupts.flag();
  HUB_ASSIGN_OR_RETURN(FetchResult fetched,
                       FetchRepo(inv.positional[0], options, inv.Value("--lock").value_or("")));
  return fetched.repo_dir;
}

// list, help and load: resolve the repo, try the cache, else Python.
int RunHubconfVerb(const char* verb, size_t min_positionals, size_t max_positionals,
                   absl::string_view usage, const Invocation& inv, std::ostream& out,
                   std::ostream& err) {
  if (inv.positional.size() < min_positionals || inv.positional.size() > max_positionals) {
    return Usage(
        err,
        inv.positional.size() < min_positionals
            ? "missing argument"
            : absl::StrCat("unexpected argument \"", inv.positional[max_positionals], "\""),
        usage);
  }
  const absl::StatusOr<Source> source = ParseSource(inv.Value("--source").value_or("github"));
  if (!source.ok()) return Usage(err, source.status().message(), usage);
  const absl::StatusOr<std::string> dir = ResolveRepoDir(inv, *source, verb, err);
  if (!dir.ok()) {
    Fail(err, dir.status());
    return dir.status().code() == absl::StatusCode::kCancelled ? kExitInterrupted : kExitFailure;
  }
  HubconfRequest request;
  request.verb = verb;
  request.repo_dir = *dir;
  request.arguments.assign(inv.positional.begin() + 1, inv.positional.end());
  request.json = inv.json;
  for (const auto& [name, value] : inv.options) {
    const bool fetch_option =
        std::find(FetchFlags().begin(), FetchFlags().end(), name) != FetchFlags().end() ||
        std::find(FetchValued().begin(), FetchValued().end(), name) != FetchValued().end();
    if (!fetch_option && name != "--source") request.options[name] = value;
  }
  if (request.verb != "load" && !inv.Has("--no-cache")) {
    const EntryCache cache(EntryCache::DefaultDir());
    absl::StatusOr<std::optional<HubconfDescription>> hit =
        cache.Lookup(request.repo_dir, PythonSettingsKey());
    if (hit.ok() && hit->has_value()) {
      return request.verb == "list" ? PrintEntrypoints(request, **hit, true, out)
                                    : PrintHelp(request, **hit, out, err);
    }
  }
  if (!Backend()) {
    return Fail(err, absl::UnimplementedError(absl::StrCat(
                         "\"", verb, "\" needs Python, and this program has no way to run it")));
  }
  return Backend()(request, out, err);
}

int RunList(const Invocation& inv, std::ostream& out, std::ostream& err) {
  return RunHubconfVerb("list", 1, 1, kListUsage, inv, out, err);
}
int RunHelp(const Invocation& inv, std::ostream& out, std::ostream& err) {
  if (inv.positional.empty()) {  // `torchhub help`: the command's own help
    out << kMainUsage;
    return kExitOk;
  }
  return RunHubconfVerb("help", 2, 2, kHelpUsage, inv, out, err);
}
int RunLoad(const Invocation& inv, std::ostream& out, std::ostream& err) {
  return RunHubconfVerb("load", 2, SIZE_MAX, kLoadUsage, inv, out, err);
}

}  // namespace

void SetHubconfBackend(HubconfBackend backend) { Backend() = std::move(backend); }

absl::StatusOr<FetchOptions> FetchOptionsFrom(const Invocation& inv, const char* calling_fn,
                                              std::ostream& err) {
  FetchOptions options;
  options.force_reload = inv.Has("--force-reload");
  options.skip_validation = inv.Has("--skip-validation");
  options.offline = inv.Has("--offline");
  options.verbose = !inv.Has("--quiet");
  options.validate_with_git = inv.Has("--validate-with-git");
  options.git_url = inv.Value("--git-url").value_or("");
  options.allow_insecure_remote = inv.Has("--allow-insecure-remote");
  options.trust.calling_fn = calling_fn;
  if (const std::optional<std::string> mode = inv.Value("--trust-repo")) {
    absl::StatusOr<TrustMode> parsed = ParseTrustMode(*mode);
    if (!parsed.ok()) return parsed.status();
    options.trust.mode = *parsed;
  }
  // Results on stdout; torch.hub's messages on stderr.
  options.out = &err;
  options.err = &err;
  return options;
}

std::vector<std::string> HubconfRequestArgs(const HubconfRequest& request) {
  std::vector<std::string> args = {"--hub-dir", GetDir(), request.verb,    "--source",
                                   "local",     "--",     request.repo_dir};
  // Options first: after "--" everything is positional.
  std::vector<std::string> options;
  for (const auto& [name, value] : request.options) {
    options.push_back(value.empty() && name != "--save-torchscript" && name != "--input"
                          ? name
                          : absl::StrCat(name, "=", value));
  }
  if (request.json) options.emplace_back("--json");
  args.insert(args.begin() + 5, options.begin(), options.end());
  args.insert(args.end(), request.arguments.begin(), request.arguments.end());
  return args;
}

int ExecPythonCliWithArgs(const std::vector<std::string>& cli_args, std::ostream& err) {
  std::string program;
  if (const char* env = std::getenv("TORCHHUB_PYTHON_CLI"); env != nullptr && *env != '\0') {
    program = env;
  } else {
    absl::StatusOr<std::string> self = RealPath("/proc/self/exe", "this program");
    if (!self.ok()) return Fail(err, self.status());
    program = absl::StrCat(DirName(*self), "/torchhub-python");
  }
  std::vector<std::string> args = cli_args;
  args.insert(args.begin(), program);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  err.flush();
  ::execv(program.c_str(), argv.data());
  const int error = errno;
  return Fail(err, ErrnoToStatus(error, absl::StrCat("cannot run ", program,
                                                     " (torchhub runs hubconf.py and loads "
                                                     "checkpoints through it; install it beside "
                                                     "torchhub or set TORCHHUB_PYTHON_CLI)")));
}

int ExecPythonCli(const HubconfRequest& request, std::ostream& err) {
  return ExecPythonCliWithArgs(HubconfRequestArgs(request), err);
}

int PrintEntrypoints(const HubconfRequest& request, const HubconfDescription& description,
                     bool from_cache, std::ostream& out) {
  if (request.json) {
    std::vector<std::string> names;
    names.reserve(description.entrypoints.size());
    for (const std::string& n : description.entrypoints) names.push_back(JsonString(n));
    out << JsonObject()
               .Add("repo_dir", JsonString(request.repo_dir))
               .Add("entrypoints", JsonArray(names))
               .Add("from_cache", JsonBool(from_cache))
               .Build()
        << "\n";
  } else {
    for (const std::string& n : description.entrypoints) out << n << "\n";
  }
  return kExitOk;
}

int PrintHelp(const HubconfRequest& request, const HubconfDescription& description,
              std::ostream& out, std::ostream& err) {
  const std::string& entry = request.arguments.at(0);
  const absl::StatusOr<std::optional<std::string>> doc = HelpFromDescription(description, entry);
  if (!doc.ok()) return Fail(err, doc.status());
  if (request.json) {
    out << JsonObject()
               .Add("entry", JsonString(entry))
               .Add("doc", doc->has_value() ? JsonString(**doc) : JsonNull())
               .Build()
        << "\n";
  } else if (doc->has_value()) {
    out << **doc << "\n";
  } else {
    out << entry << " has no docstring.\n";
  }
  return kExitOk;
}

int RunTorchhub(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  size_t i = 0;
  // Global options come before the verb.
  while (i < args.size() && absl::StartsWith(args[i], "-")) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out << kMainUsage;
      return kExitOk;
    }
    if (a == "--hub-dir" || absl::StartsWith(a, "--hub-dir=")) {
      std::string value;
      if (a == "--hub-dir") {
        if (i + 1 >= args.size()) return Usage(err, "--hub-dir needs a directory", kMainUsage);
        value = args[++i];
      } else {
        value = a.substr(std::string("--hub-dir=").size());
      }
      if (value.empty()) return Usage(err, "--hub-dir needs a directory", kMainUsage);
      SetDir(value);
      ++i;
      continue;
    }
    return Usage(err, absl::StrCat("unknown option ", a), kMainUsage);
  }
  if (i >= args.size()) return Usage(err, "missing verb", kMainUsage);
  const std::string& verb = args[i];

  // A verb's own options and fetch's (and --source for list, help, load).
  auto HubconfVerbOptions = [](std::vector<std::string> flags, std::vector<std::string> valued,
                               bool source = true) {
    flags.insert(flags.end(), FetchFlags().begin(), FetchFlags().end());
    valued.insert(valued.end(), FetchValued().begin(), FetchValued().end());
    if (source) valued.emplace_back("--source");
    return VerbOptions{std::move(flags), std::move(valued)};
  };
  struct Verb {
    const char* name;
    const char* usage;
    int (*run)(const Invocation&, std::ostream&, std::ostream&);
    VerbOptions options;
  };
  auto CacheOptions = [] {
    return VerbOptions{{std::begin(kPruneFlags), std::end(kPruneFlags)},
                       {std::begin(kPruneValued), std::end(kPruneValued)}};
  };
  static const Verb* const kVerbs = new Verb[]{
      {"dir", kDirUsage, &RunDir, {}},
      {"parse", kParseUsage, &RunParse, {}},
      {"trust", kTrustUsage, &RunTrust, {}},
      {"download",
       kDownloadUsage,
       &RunDownload,
       {{"--no-progress", "--keep"}, {"--hash-prefix", "--max-attempts"}}},
      {"fetch", kFetchUsage, &RunFetch, HubconfVerbOptions({}, {}, false)},
      {"lock", kLockUsage, &RunLock,
       HubconfVerbOptions({"--update", "--remove", "--no-progress"}, {}, false)},
      {"cache", kCacheUsage, &RunCache, CacheOptions()},
      {"list", kListUsage, &RunList, HubconfVerbOptions({"--no-cache"}, {})},
      {"help", kHelpUsage, &RunHelp, HubconfVerbOptions({"--no-cache"}, {})},
      {"load", kLoadUsage, &RunLoad,
       HubconfVerbOptions({"--forward", "--python-object"}, {"--save-torchscript", "--input"})},
      {nullptr, nullptr, nullptr, {}},
  };
  for (const Verb* v = kVerbs; v->name != nullptr; ++v) {
    if (verb != v->name) continue;
    absl::StatusOr<Invocation> inv = ParseVerbArgs(args, i + 1, v->options);
    if (!inv.ok()) return Usage(err, inv.status().message(), v->usage);
    if (inv->help) {
      out << v->usage;
      return kExitOk;
    }
    return v->run(*inv, out, err);
  }
  // Verbs a binary registered (torchhub-python: those that need libtorch).
  if (const auto it = RegisteredVerbs().find(verb); it != RegisteredVerbs().end()) {
    const RegisteredVerb& v = it->second;
    absl::StatusOr<Invocation> inv = ParseVerbArgs(args, i + 1, v.options);
    if (!inv.ok()) return Usage(err, inv.status().message(), v.usage);
    if (inv->help) {
      out << v.usage;
      return kExitOk;
    }
    return v.run(*inv, out, err);
  }
  // Known, but implemented in torchhub-python: hand the whole command line
  // over (its usage and --help too).
  if (IsLibtorchVerb(verb)) {
    if (HandOff()) return HandOff()(args, err);
    return Fail(err, absl::FailedPreconditionError(absl::StrCat(
                         "\"", verb, "\" needs libtorch: run it with torchhub-python")));
  }
  return Usage(err, absl::StrCat("unknown verb \"", verb, "\""), kMainUsage);
}

}  // namespace hub::cli
