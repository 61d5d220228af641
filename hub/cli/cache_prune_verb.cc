#include "hub/cli/cache_prune_verb.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "hub/base/json.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/download/progress.h"
#include "hub/lock/lock_file.h"
#include "hub/lock/pinned.h"
#include "hub/ref/repo_ref.h"
#include "hub/source/cache_prune.h"

namespace hub::cli {
namespace {

std::string JsonTime(absl::Time t) {
  if (t == absl::InfinitePast()) return JsonNull();
  return JsonString(absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone()));
}

void PrintJson(const PruneReport& r, const PruneOptions& o, std::ostream& out) {
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

void PrintText(const PruneReport& r, const PruneOptions& o, std::ostream& out) {
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

}  // namespace

int RunCachePrune(const Invocation& inv, absl::string_view usage, std::ostream& out,
                  std::ostream& err) {
  PruneOptions options;
  if (const std::optional<std::string> v = inv.Value("--older-than")) {
    absl::StatusOr<absl::Duration> age = ParseAge(*v);
    if (!age.ok()) return Usage(err, absl::StrCat("--older-than: ", age.status().message()), usage);
    options.older_than = *age;
  }
  if (const std::optional<std::string> v = inv.Value("--max-size")) {
    absl::StatusOr<int64_t> size = ParseByteSize(*v);
    if (!size.ok()) return Usage(err, absl::StrCat("--max-size: ", size.status().message()), usage);
    options.max_bytes = *size;
  }
  if (!options.older_than.has_value() && !options.max_bytes.has_value()) {
    return Usage(err,
                 "cache prune needs a limit: say --older-than DURATION (e.g. 30d), --max-size "
                 "SIZE (e.g. 10G), or both",
                 usage);
  }
  options.dry_run = inv.Has("--dry-run");
  // What a lock file pins stays: loads under it would fetch it again.
  if (const std::optional<std::string> lock_path = LockPathFor(inv.Value("--lock").value_or(""))) {
    absl::StatusOr<LockFile> lock = ReadLockFile(*lock_path);
    if (!lock.ok()) return Fail(err, lock.status());
    for (const LockedRepo& r : lock->repos) {
      absl::StatusOr<RepoRef> repo = ParseRepoRef(r.repo);
      if (!repo.ok()) return Fail(err, repo.status());
      absl::StatusOr<std::string> dir = CacheLayout::RepoDirName(repo->WithRef(r.ref));
      if (!dir.ok()) return Fail(err, dir.status());
      options.keep.push_back(*std::move(dir));
    }
    for (const LockedFile& f : lock->files) options.keep.push_back(f.file_name);
  }
  absl::StatusOr<PruneReport> report = PruneCache(GetDir(), options);
  if (!report.ok()) return Fail(err, report.status());
  if (inv.json) {
    PrintJson(*report, options, out);
  } else {
    PrintText(*report, options, out);
  }
  if (!report->status.ok()) return Fail(err, report->status);
  return kExitOk;
}

}  // namespace hub::cli
