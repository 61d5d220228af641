// lock: pin repos and weight files in torchhub.lock (hub/lock/pin.h).
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "hub/api/hub.h"
#include "hub/base/json.h"
#include "hub/cli/command.h"
#include "hub/cli/fetch_flags.h"
#include "hub/cli/verbs.h"

namespace hub::cli {
namespace {

constexpr char kLockUsage[] =
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
  --no-progress  no download progress display (also off with --quiet or
                 TORCHHUB_NO_PROGRESS=1)

Every repo line says where it is fetched from (--json: "source" and
"git_url"), for review. A --git-url remote that is not the repo's own GitHub
location must be trusted by itself (trusted_list, TORCHHUB_TRUST, or
--trust-repo; asked like a repo), and file://, http:// and git:// remotes
need --allow-insecure-remote, now and for every load the lock serves. Unless
--skip-validation, a pinned commit is proven to be the repo's, not a fork's
(its ref points at it or has it in its history).
)";

struct LockFlags {
  FetchFlags fetch;
  bool update = false;
  bool remove = false;
  bool no_progress = false;

  void Declare(OptionTable& table) {
    fetch.Declare(table);
    table.Flag("--update", &update).Flag("--remove", &remove).Flag("--no-progress", &no_progress);
  }
};

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

std::string FileJson(const LockedFile& f, absl::string_view action) {
  return JsonObject()
      .Add("url", JsonString(f.url))
      .Add("file_name", JsonString(f.file_name))
      .Add("sha256", JsonString(f.sha256))
      .Add("bytes", JsonInt(f.bytes))
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

// A line as each item is settled (a fetch may take a while).
void PrintItem(const LockItem& item, std::ostream& out) {
  const char* action = item.action == LockItem::Action::kPinned ? "pinned  " : "kept    ";
  if (item.action == LockItem::Action::kRemoved) {
    out << "removed " << item.item << "\n";
  } else if (item.file.has_value()) {
    out << action << item.item << " (sha256 " << item.file->sha256 << ")\n";
  } else {
    out << action << item.repo->repo << " at " << item.repo->commit << FromWhere(*item.repo)
        << "\n";
  }
}

int RunLock(const Call<LockFlags>& call) {
  const LockFlags& flags = call.flags;
  if (flags.remove && flags.update) return call.Usage("--remove and --update don't go together");
  if (call.positional.empty() && !flags.update) {
    return call.Usage("name the REPOs and URLs to pin (or --update, to pin every entry again)");
  }
  absl::StatusOr<HubOptions> hub_options = HubOptionsFrom(flags.fetch, call.err(), call.verbosity);
  if (!hub_options.ok()) return call.Usage(hub_options.status().message());
  const std::string path =
      LockPathFor(flags.fetch.lock.value_or("")).value_or(kDefaultLockFileName);

  LockUpdateOptions options;
  options.fetch = FetchOptionsFor(*hub_options, "load");
  options.files.progress = call.ShowProgress(flags.no_progress || flags.fetch.quiet) && !call.json;
  options.files.download.progress_stream = &call.err();
  if (const absl::Status network =
          ApplyNetworkFlags(flags.fetch.network, call.err(), &options.files.download, nullptr);
      !network.ok()) {
    return call.Usage(network.message());
  }
  options.files.err = &call.err();
  options.update = flags.update;
  options.remove = flags.remove;
  if (!call.json) options.on_item = [&call](const LockItem& item) { PrintItem(item, call.out()); };
  // Ctrl-C stops the fetches and the lock file is left as it was.
  ScopedInterruptHandler interrupts;
  const absl::StatusOr<LockUpdate> update = UpdateLockFile(path, call.positional, options);
  if (!update.ok()) return FailOrInterrupted(call.err(), update.status());
  if (!call.json) {
    call.out() << "wrote " << update->path << "\n";
    return kExitOk;
  }
  std::vector<std::string> repo_rows;
  std::vector<std::string> file_rows;
  for (const LockItem& item : update->items) {
    const char* action = item.action == LockItem::Action::kPinned ? "pinned" : "kept";
    if (item.repo.has_value()) repo_rows.push_back(RepoJson(*item.repo, action));
    if (item.file.has_value()) file_rows.push_back(FileJson(*item.file, action));
  }
  call.out() << JsonObject()
                    .Add("lock_file", JsonString(update->path))
                    .Add("repos", JsonArray(repo_rows))
                    .Add("files", JsonArray(file_rows))
                    .Build()
             << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Verb> LockVerbs() { return {MakeVerb<LockFlags>("lock", kLockUsage, &RunLock)}; }

}  // namespace hub::cli
