// trust list|add|remove|check: the hub dir's trusted_list.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "hub/api/hub.h"
#include "hub/base/json.h"
#include "hub/cli/command.h"
#include "hub/cli/verbs.h"

namespace hub::cli {
namespace {

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

int RunList(const Call<NoFlags>& call) {
  if (call.positional.size() != 1) {
    return call.Usage(absl::StrCat("unexpected argument \"", call.positional[1], "\""));
  }
  const absl::StatusOr<TrustedListContents> list = ReadTrustedList();
  if (!list.ok()) return call.Fail(list.status());
  if (call.json) {
    call.out() << JsonObject()
                      .Add("trusted_list", JsonString(list->path))
                      .Add("entries", JsonStringArray(list->entries))
                      .Add("trusted_owners", JsonStringArray(list->trusted_owners))
                      .Add("environment", JsonStringArray(list->environment))
                      .Build()
               << "\n";
  } else {
    for (const std::string& e : list->entries) call.out() << e << "\n";
  }
  return kExitOk;
}

int RunChange(const Call<NoFlags>& call, bool add) {
  const absl::StatusOr<TrustChange> change =
      add ? AddTrusted(call.positional[1]) : RemoveTrusted(call.positional[1]);
  if (!change.ok()) return call.Fail(change.status());
  if (call.json) {
    JsonObject json;
    json.Add("entry", JsonString(change->entry))
        .Add(add ? "added" : "removed", JsonBool(change->changed))
        .Add("trusted_list", JsonString(change->trusted_list));
    if (!add && !change->remote) {
      json.Add("still_trusted_because",
               change->still_trusted_because.has_value()
                   ? JsonString(TrustReasonName(*change->still_trusted_because))
                   : JsonNull());
    }
    call.out() << json.Build() << "\n";
    return kExitOk;
  }
  const char* what =
      change->changed ? (add ? "added " : "removed ") : (add ? "already listed: " : "not listed: ");
  call.out() << what << change->entry << " (" << change->trusted_list << ")\n";
  if (change->still_trusted_because.has_value()) {
    call.err() << "torchhub: note: " << change->subject << " is still trusted ("
               << TrustReasonName(*change->still_trusted_because) << ")\n";
  }
  return kExitOk;
}

int RunCheck(const Call<NoFlags>& call) {
  const absl::StatusOr<TrustVerdict> verdict = CheckTrusted(call.positional[1]);
  if (!verdict.ok()) return call.Fail(verdict.status());
  const bool trusted = verdict->trusted();
  if (call.json) {
    call.out() << JsonObject()
                      .Add(verdict->remote ? "remote" : "repo", JsonString(verdict->subject))
                      .Add("trusted", JsonBool(trusted))
                      .Add("reason", JsonString(TrustReasonName(verdict->reason)))
                      .Build()
               << "\n";
  } else {
    call.out() << verdict->subject << ": " << (trusted ? "trusted (" : "")
               << TrustReasonName(verdict->reason) << (trusted ? ")" : "") << "\n";
  }
  return trusted ? kExitOk : kExitFailure;
}

int RunTrust(const Call<NoFlags>& call) {
  if (call.positional.empty()) return call.Usage("missing trust action");
  const std::string& action = call.positional[0];
  if (action == "list") return RunList(call);
  if (action != "add" && action != "remove" && action != "check") {
    return call.Usage(absl::StrCat("unknown trust action \"", action, "\"",
                                   DidYouMean(action, {"list", "add", "remove", "check"})));
  }
  if (call.positional.size() != 2) {
    return call.Usage(call.positional.size() < 2
                          ? absl::StrCat("trust ", action, " needs a REPO")
                          : absl::StrCat("unexpected argument \"", call.positional[2], "\""));
  }
  if (action == "check") return RunCheck(call);
  return RunChange(call, /*add=*/action == "add");
}

}  // namespace

std::vector<Verb> TrustVerbs() { return {MakeVerb<NoFlags>("trust", kTrustUsage, &RunTrust)}; }

}  // namespace hub::cli
