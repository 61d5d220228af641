// cache ls|verify|prune|rm: what the hub dir holds, re-hashing it, freeing
// space, removing one item.
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "hub/api/hub.h"
#include "hub/base/json.h"
#include "hub/base/units.h"
#include "hub/cli/command.h"
#include "hub/cli/verbs.h"

namespace hub::cli {
namespace {

constexpr char kCacheUsage[] = R"(usage: torchhub cache ls [--json]
       torchhub cache verify [--lock FILE] [--json]
       torchhub cache prune [--older-than DURATION] [--max-size SIZE] [--lock FILE]
                            [--dry-run] [--json]
       torchhub cache rm REPO|FILE [--dry-run] [--json]

ls: the hub dir's repos and the files in its checkpoints/ directory, with
their sizes; --json adds, for each repo torchhub fetched, its .<dir>.source
record (the repo, the archive or git URL, the commit).

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

rm: removes one repo (owner/name:ref, or its directory's name as cache ls
prints it) or one checkpoint (its file name in checkpoints/), with its
.source record, leftovers of its fetches or downloads, and its lock files,
while holding the lock its writers take: a repo being fetched or a file
being downloaded is not touched (exit 1, naming the lock). A repo is moved
aside before it is deleted, so it is never seen half removed. --dry-run
shows what would go.
)";

struct CacheFlags {
  std::optional<std::string> older_than;  // prune
  std::optional<std::string> max_size;    // prune
  bool dry_run = false;                   // prune and rm
  std::optional<std::string> lock;        // prune and verify

  void Declare(OptionTable& table) {
    table.Flag("--dry-run", &dry_run)
        .Value("--older-than", &older_than)
        .Value("--max-size", &max_size)
        .Value("--lock", &lock);
  }
};

int RunLs(const Call<CacheFlags>& call) {
  const std::string hub_dir = GetDir();
  const absl::StatusOr<CacheListing> listing = CacheList();
  if (!listing.ok()) return call.Fail(listing.status());
  std::ostream& out = call.out();
  if (call.json) {
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

std::string PinCheckJson(const PinCheck& c) {
  return JsonObject()
      .Add(PinKindName(c.kind), JsonString(c.item))
      .Add("verdict", JsonString(PinVerdictName(c.verdict)))
      .Add("against", JsonString("lock"))
      .Add("expected", JsonString(c.expected))
      .Add("got", c.got.empty() ? JsonNull() : JsonString(c.got))
      .Build();
}

void PrintPinCheck(const PinCheck& c, const std::string& lock_path, std::ostream& out) {
  switch (c.verdict) {
    case PinCheck::Verdict::kOk:
      out << "ok         " << c.item << " (against the lock)\n";
      break;
    case PinCheck::Verdict::kMissing:
      out << "MISSING    " << c.item << " (pinned in " << lock_path << ", not in the hub dir)\n";
      break;
    case PinCheck::Verdict::kMismatch:
      out << "MISMATCH   " << c.item << " (against the lock: expected " << c.expected << ", got "
          << c.got << ")\n";
      break;
  }
}

int RunVerify(const Call<CacheFlags>& call) {
  const absl::StatusOr<std::vector<CheckpointCheck>> checks = CacheVerify();
  if (!checks.ok()) return call.Fail(checks.status());
  std::ostream& out = call.out();
  bool all_ok = true;
  std::vector<std::string> rows;
  for (const CheckpointCheck& c : *checks) {
    const char* verdict = c.verdict == CheckpointCheck::Verdict::kOk         ? "ok"
                          : c.verdict == CheckpointCheck::Verdict::kMismatch ? "mismatch"
                                                                             : "unchecked";
    if (c.verdict == CheckpointCheck::Verdict::kMismatch) all_ok = false;
    if (call.json) {
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
  const std::optional<std::string> lock_path = LockPathFor(call.flags.lock.value_or(""));
  if (lock_path.has_value()) {
    std::map<std::string, std::string> hashed;  // the checkpoints just re-hashed
    for (const CheckpointCheck& c : *checks) hashed[c.name] = c.sha256;
    const absl::StatusOr<std::vector<PinCheck>> pinned = CacheVerifyLock(*lock_path, hashed);
    if (!pinned.ok()) return call.Fail(pinned.status());
    for (const PinCheck& c : *pinned) {
      if (c.verdict != PinCheck::Verdict::kOk) all_ok = false;
      if (call.json) {
        lock_rows.push_back(PinCheckJson(c));
      } else {
        PrintPinCheck(c, *lock_path, out);
      }
    }
  }
  if (call.json) {
    JsonObject result;
    result.Add("ok", JsonBool(all_ok)).Add("checkpoints", JsonArray(rows));
    if (lock_path.has_value()) {
      result.Add("lock_file", JsonString(*lock_path)).Add("pinned", JsonArray(lock_rows));
    }
    out << result.Build() << "\n";
  }
  return all_ok ? kExitOk : kExitFailure;
}

std::string JsonTime(absl::Time t) {
  if (t == absl::InfinitePast()) return JsonNull();
  return JsonString(absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone()));
}

void PrintPruneJson(const PruneReport& r, const PruneOptions& o, std::ostream& out) {
  std::vector<std::string> items;
  items.reserve(r.items.size());
  for (const PruneItem& item : r.items) {
    items.push_back(
        JsonObject()
            .Add("kind", JsonString(KindName(item.kind)))
            .Add("name", JsonString(item.name))
            .Add("bytes", JsonInt(item.bytes))
            .Add("last_used", JsonTime(item.last_used))
            .Add("action", JsonString(absl::StrReplaceAll(ActionName(item.action), {{" ", "_"}})))
            .Add("reason", JsonString(item.reason))
            .Build());
  }
  out << JsonObject()
             .Add("hub_dir", JsonString(GetDir()))
             .Add("dry_run", JsonBool(o.dry_run))
             .Add("older_than_seconds", o.older_than.has_value()
                                            ? JsonInt(absl::ToInt64Seconds(*o.older_than))
                                            : JsonNull())
             .Add("max_bytes", o.max_bytes.has_value() ? JsonInt(*o.max_bytes) : JsonNull())
             .Add("bytes_before", JsonInt(r.bytes_before))
             .Add("bytes_after", JsonInt(r.bytes_after))
             .Add("removed", JsonInt(r.removed))
             .Add("in_use", JsonInt(r.in_use))
             .Add("failed", JsonInt(r.failed))
             .Add("ok", JsonBool(r.status.ok()))
             .Add("error", r.status.ok() ? JsonNull() : JsonString(r.status.message()))
             .Add("items", JsonArray(items))
             .Build()
      << "\n";
}

void PrintPruneText(const PruneReport& r, const PruneOptions& o, std::ostream& out) {
  int kept = 0;
  for (const PruneItem& item : r.items) {
    if (item.action == PruneItem::Action::kKept) ++kept;
    if (item.action == PruneItem::Action::kKept || item.action == PruneItem::Action::kGone) {
      continue;
    }
    out << absl::StreamFormat("%-13s %-10s %s  (%s; %s)\n", ActionName(item.action),
                              KindName(item.kind), item.name, FormatBytes(item.bytes), item.reason);
  }
  out << (o.dry_run ? "would remove " : "removed ") << r.removed
      << (r.removed == 1 ? " item, " : " items, ") << FormatBytes(r.bytes_before - r.bytes_after)
      << ": " << FormatBytes(r.bytes_before) << (o.dry_run ? " would become " : " became ")
      << FormatBytes(r.bytes_after) << "; " << kept << " kept";
  if (r.in_use > 0) out << ", " << r.in_use << " in use (skipped)";
  if (r.failed > 0) out << ", " << r.failed << " failed";
  out << " (hub dir " << GetDir() << ")\n";
}

// Exits 1 when a removal failed; items in use are reported but are no
// failure.
int RunPrune(const Call<CacheFlags>& call) {
  PruneOptions options;
  if (const std::optional<std::string>& v = call.flags.older_than) {
    absl::StatusOr<absl::Duration> age = ParseAge(*v);
    if (!age.ok()) return call.BadValue(absl::StrCat("--older-than: ", age.status().message()));
    options.older_than = *age;
  }
  if (const std::optional<std::string>& v = call.flags.max_size) {
    absl::StatusOr<int64_t> size = ParseByteSize(*v);
    if (!size.ok()) return call.BadValue(absl::StrCat("--max-size: ", size.status().message()));
    options.max_bytes = *size;
  }
  if (!options.older_than.has_value() && !options.max_bytes.has_value()) {
    return call.Usage(
        "cache prune needs a limit: say --older-than DURATION (e.g. 30d), --max-size "
        "SIZE (e.g. 10G), or both");
  }
  options.dry_run = call.flags.dry_run;
  // What a lock file (--lock, else TORCHHUB_LOCK) pins is kept.
  const absl::StatusOr<PruneReport> report = CachePrune(options, call.flags.lock.value_or(""));
  if (!report.ok()) return call.Fail(report.status());
  if (call.json) {
    PrintPruneJson(*report, options, call.out());
  } else {
    PrintPruneText(*report, options, call.out());
  }
  if (!report->status.ok()) return call.Fail(report->status);
  return kExitOk;
}

// Exits 1 when the item is missing, in use, or can't be removed.
int RunRm(const Call<CacheFlags>& call) {
  RemoveOptions options;
  options.dry_run = call.flags.dry_run;
  const absl::StatusOr<RemoveResult> r = CacheRemove(call.positional[1], options);
  if (!r.ok()) return call.Fail(r.status());
  std::ostream& out = call.out();
  if (call.json) {
    std::vector<std::string> removed;
    for (const std::string& name : r->removed) removed.push_back(JsonString(name));
    out << JsonObject()
               .Add("kind", JsonString(KindName(r->kind)))
               .Add("name", JsonString(r->name))
               .Add("removed", JsonArray(removed))
               .Add("bytes", JsonInt(r->bytes))
               .Add("dry_run", JsonBool(r->dry_run))
               .Build()
        << "\n";
    return kExitOk;
  }
  for (const std::string& name : r->removed) {
    out << (r->dry_run ? "would remove " : "removed ") << name << "\n";
  }
  out << (r->dry_run ? "would free " : "freed ") << FormatBytes(r->bytes) << " (hub dir "
      << GetDir() << ")\n";
  return kExitOk;
}

int RunCache(const Call<CacheFlags>& call) {
  const std::string action = call.positional.empty() ? "" : call.positional[0];
  if (action == "prune") {
    if (const std::optional<int> usage = call.WantPositionals(1)) return *usage;
    return RunPrune(call);
  }
  if (action == "rm") {
    if (call.flags.older_than || call.flags.max_size || call.flags.lock) {
      return call.Usage("cache rm takes --dry-run and --json only");
    }
    if (const std::optional<int> usage = call.WantPositionals(2)) return *usage;
    return RunRm(call);
  }
  // prune's options, in the order the old name-keyed map reported them.
  const CacheFlags& f = call.flags;
  for (const auto& [name, given] :
       std::vector<std::pair<const char*, bool>>{{"--dry-run", f.dry_run},
                                                 {"--lock", f.lock.has_value()},
                                                 {"--max-size", f.max_size.has_value()},
                                                 {"--older-than", f.older_than.has_value()}}) {
    const bool verify_lock = std::string(name) == "--lock" && action == "verify";
    if (given && !verify_lock) {
      return call.Usage(absl::StrCat(name, " is for cache prune",
                                     std::string(name) == "--lock"      ? " and verify"
                                     : std::string(name) == "--dry-run" ? " and rm"
                                                                        : "",
                                     " only"));
    }
  }
  if (action == "verify") {
    if (const std::optional<int> usage = call.WantPositionals(1)) return *usage;
    return RunVerify(call);
  }
  if (action != "ls") {
    return call.Usage(
        call.positional.empty()
            ? std::string("missing cache action")
            : absl::StrCat("unknown cache action \"", call.positional[0], "\"",
                           DidYouMean(call.positional[0], {"ls", "verify", "prune", "rm"})));
  }
  if (const std::optional<int> usage = call.WantPositionals(1)) return *usage;
  return RunLs(call);
}

}  // namespace

std::vector<Verb> CacheVerbs() { return {MakeVerb<CacheFlags>("cache", kCacheUsage, &RunCache)}; }

}  // namespace hub::cli
