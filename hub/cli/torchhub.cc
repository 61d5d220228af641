#include "hub/cli/torchhub.h"

#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/base/json.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/fs/files.h"
#include "hub/ref/repo_ref.h"
#include "hub/trust/trust.h"
#include "hub/trust/trusted_list.h"

namespace hub::cli {
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

options:
  --hub-dir DIR          use DIR as the hub dir (torch.hub.set_dir(DIR))
  --json                 print results as JSON
  --help                 show help for a verb

The hub dir is, in order: --hub-dir, $TORCH_HOME/hub, $XDG_CACHE_HOME/torch/hub,
~/.cache/torch/hub. Exit codes: 0 ok, 1 failure, 2 usage error.
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
       torchhub trust add REPO
       torchhub trust remove REPO
       torchhub trust check REPO [--json]

Manages the hub dir's trusted_list, shared with Python's torch.hub. A repo is
trusted when it is listed there, when its directory for the given ref is
already in the hub dir, when its owner is one of facebookresearch,
facebookincubator, pytorch or fairinternal, or when TORCHHUB_TRUST names it
or its owner ("*" trusts everything). `trust check` exits 1 when REPO is not
trusted. REPO's ref, if any, only matters to the already-downloaded rule.
)";

struct Invocation {
  std::vector<std::string> positional;
  bool json = false;
  bool help = false;
};

// Splits verb arguments into positionals and the flags every verb shares.
absl::StatusOr<Invocation> ParseVerbArgs(const std::vector<std::string>& args, size_t start) {
  Invocation inv;
  bool only_positional = false;
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!only_positional && a == "--") {
      only_positional = true;
    } else if (!only_positional && a == "--json") {
      inv.json = true;
    } else if (!only_positional && (a == "--help" || a == "-h")) {
      inv.help = true;
    } else if (!only_positional && absl::StartsWith(a, "-") && a.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option ", a));
    } else {
      inv.positional.push_back(a);
    }
  }
  return inv;
}

int Usage(std::ostream& err, absl::string_view message, absl::string_view usage) {
  err << "torchhub: " << message << "\n\n" << usage;
  return kExitUsage;
}

int Fail(std::ostream& err, const absl::Status& status) {
  err << "torchhub: error: " << status.message() << "\n";
  return kExitFailure;
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
  absl::StatusOr<RepoRef> repo = ParseRepoRef(inv.positional[1]);
  if (!repo.ok()) return Fail(err, repo.status());
  const std::string owner_name = repo->OwnerName();

  if (action == "add") {
    if (absl::Status s = MakeDirs(cache.hub_dir()); !s.ok()) return Fail(err, s);
    absl::StatusOr<bool> added = list.Add(owner_name);
    if (!added.ok()) return Fail(err, added.status());
    out << (*added ? "added " : "already listed: ") << owner_name << " (" << list.path() << ")\n";
    return kExitOk;
  }
  if (action == "remove") {
    absl::StatusOr<bool> removed = list.Remove(owner_name);
    if (!removed.ok()) return Fail(err, removed.status());
    out << (*removed ? "removed " : "not listed: ") << owner_name << " (" << list.path() << ")\n";
    absl::StatusOr<TrustReason> still = WhyTrusted(cache, *repo);
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

}  // namespace

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
  absl::StatusOr<Invocation> inv = ParseVerbArgs(args, i + 1);

  struct Verb {
    const char* name;
    const char* usage;
    int (*run)(const Invocation&, std::ostream&, std::ostream&);
  };
  static constexpr Verb kVerbs[] = {
      {"dir", kDirUsage, &RunDir},
      {"parse", kParseUsage, &RunParse},
      {"trust", kTrustUsage, &RunTrust},
  };
  for (const Verb& v : kVerbs) {
    if (verb != v.name) continue;
    if (!inv.ok()) return Usage(err, inv.status().message(), v.usage);
    if (inv->help) {
      out << v.usage;
      return kExitOk;
    }
    return v.run(*inv, out, err);
  }
  if (verb == "help") {
    out << kMainUsage;
    return kExitOk;
  }
  return Usage(err, absl::StrCat("unknown verb \"", verb, "\""), kMainUsage);
}

}  // namespace hub::cli
