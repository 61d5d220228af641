// torchhub-cpp's light facade: everything torch.hub and `torchhub` do that
// needs neither libtorch nor libpython. hub/api/torch.h adds what does
// (Load, LoadStateDictFromUrl, List and Help through Python).
//
//   #include "hub/api/hub.h"   // @torchhub_cpp//hub/api:hub (light)
//   #include "hub/api/torch.h" // @torchhub_cpp//hub/api:torch, or
//                              // @torchhub_cpp//hub/api (both headers)
//
//   hub::HubOptions o;
//   o.trust_repo = hub::TrustMode::kTrue;
//   HUB_ASSIGN_OR_RETURN(hub::FetchResult r, hub::Fetch("pytorch/vision:v0.14.1", o));
//   r.repo_dir;  // <hub dir>/pytorch_vision_v0.14.1
//   HUB_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> names,
//                        hub::ListFromEntryCache("pytorch/vision:v0.14.1", o));
//   // nullopt: not cached; hub::List (torch.h) runs the hubconf
//
// | torch.hub                        | here                                    |
// | -------------------------------- | --------------------------------------- |
// | get_dir(), set_dir(d)            | GetDir(), SetDir(d)                     |
// | download_url_to_file(url, dst,   | DownloadUrlToFile(url, dst,             |
// |      hash_prefix, progress)      |   hash_prefix, progress)                |
// | _get_cache_or_reload             | Fetch(repo, options)                    |
// | list, help                       | torch.h; from the entry cache here      |
// | load, load_state_dict_from_url   | torch.h                                 |
//
// Beyond torch.hub, what `torchhub` offers, as results to print or use:
// ParseRepo (how a repo is parsed and cached), the trusted list
// (ReadTrustedList, AddTrusted, RemoveTrusted, CheckTrusted), lock files
// (UpdateLockFile, hub/lock/pin.h; VerifyAgainstLock, hub/lock/verify.h;
// LockPathFor and FilePin, hub/lock/pinned.h), the cache verbs
// (CacheList, CacheVerify, CachePrune), and what a bug report needs
// (Version, DescribeEnvironment: hub/about/environment.h).
//
// Targets: //hub/api:hub is this header alone and links neither libtorch
// nor libpython (the `torchhub` command is built on it); //hub/api:torch is
// torch.h; //hub/api, what the README names, is both.
//
// Every torch.hub parameter is a field of HubOptions, with torch.hub's
// default. What each returns, and where it goes beyond torch.hub, is in
// the headers of the libraries underneath: hub/source/source.h (fetching),
// hub/download/downloader.h, hub/cache/hub_dir.h, hub/trust/trust.h,
// hub/lock/*.h, hub/inventory/listing.h, prune.h and remove.h.
//
// Thread-safe: every function may be called from any thread (SetDir
// changes what the others see).
#ifndef HUB_API_HUB_H_
#define HUB_API_HUB_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/about/environment.h"
#include "hub/cache/hub_dir.h"
#include "hub/download/downloader.h"
#include "hub/download/http_get.h"
#include "hub/download/network_settings.h"
#include "hub/hash/hash_prefix.h"
#include "hub/hubconf/entry_cache.h"
#include "hub/inventory/listing.h"
#include "hub/inventory/prune.h"
#include "hub/inventory/remove.h"
#include "hub/lock/lock_file.h"
#include "hub/lock/pin.h"
#include "hub/lock/pinned.h"
#include "hub/lock/verify.h"
#include "hub/ref/repo_ref.h"
#include "hub/source/source.h"
#include "hub/trust/trust.h"

namespace hub {

struct HubOptions {
  // --- torch.hub's parameters, with its defaults ---
  bool force_reload = false;
  bool skip_validation = false;
  // trust_repo: None (warn and go on), True, False (ask unless trusted), or
  // "check" (only trusted_list and the owner allowlist).
  TrustMode trust_repo = TrustMode::kNone;
  bool verbose = true;
  std::string source = "github";  // load's source: "github" or "local"
  bool progress = true;
  bool check_hash = false;
  std::string file_name;     // "" -> the URL's base name
  std::string map_location;  // "" -> torch.load's None: where each storage was saved
  std::string model_dir;     // "" -> <hub dir>/checkpoints
  // Checkpoints are always read weights-only (hub/checkpoint never runs
  // pickled code); false is accepted for torch.hub's signature and changes
  // nothing.
  bool weights_only = true;

  // --- beyond torch.hub ---
  // Fetching: offline mode, GitHub endpoints, any git remote, download
  // retries and CA, messages' streams. Its force_reload, skip_validation,
  // trust mode and verbose are taken from the fields above. (How an
  // nn.Module comes back is Load's LoadOptions, hub/api/torch.h.)
  FetchOptions fetch;
  // A file name without a hash under check_hash: warn (torch.hub checks
  // nothing silently) or refuse.
  MissingHash missing_hash = MissingHash::kWarn;
  // Answer list and help from the entrypoint cache when it is current.
  bool use_entry_cache = true;
  // Run the hubconf for List, Help, DescribeRepo and Load in a worker with
  // no network, no home and no new processes (hub/sandbox/sandbox.h,
  // docs/sandbox.md), never in this process; where the sandbox cannot start,
  // they fail (kFailedPrecondition) rather than run it unsandboxed. The
  // worker is $TORCHHUB_SANDBOX_WORKER, else torchhub-python beside the
  // running program. A sandboxed Load returns TorchScript, tensors or plain
  // data, never a Python object (hub/sandbox/load.h). false: in this
  // process, with all its rights (`--no-sandbox`).
  bool sandbox = true;
  // A lock file (`torchhub lock`, hub/lock/lock_file.h) that loads must
  // satisfy; "" -> $TORCHHUB_LOCK if set, else none. With one, Fetch, List,
  // Help and Load (source "github") take a repo only as it pins it (its
  // commit, its content, checked; no network when cached), and
  // LoadStateDictFromUrl a URL only with the file and whole SHA-256 it pins.
  // Anything else is kFailedPrecondition, a mismatch kFailedPrecondition or
  // kDataLoss. A git remote the lock names that is not the repo's own GitHub
  // location must be trusted by itself (asked as trust_repo says,
  // kPermissionDenied when refused), and a file://, http:// or git:// one
  // needs fetch.allow_insecure_remote (or TORCHHUB_ALLOW_INSECURE_REMOTE=1);
  // a pinned commit that is not in its ref's history is refused as a fork's
  // (kNotFound) unless skip_validation (hub/lock/pinned.h).
  std::string lock_file;
};

// options.fetch with HubOptions' torch.hub fields applied; `calling_fn`
// ("load", "list", "help") is named in trust warnings.
FetchOptions FetchOptionsFor(const HubOptions& options, const char* calling_fn = "load");

// torch.hub's _get_cache_or_reload for a GitHub repo ("owner/name[:ref]"),
// as options.lock_file pins it if there is one (hub/lock/pinned.h FetchRepo).
absl::StatusOr<FetchResult> Fetch(absl::string_view repo, const HubOptions& options = {},
                                  const char* calling_fn = "load");

// The repo dir for `repo_or_dir`: with options.source "local" the directory
// itself, else Fetch's.
absl::StatusOr<std::string> RepoDir(absl::string_view repo_or_dir, const HubOptions& options = {},
                                    const char* calling_fn = "load");

// torch.hub.download_url_to_file (hub/download/downloader.h has the full
// options: retries, resume, time-outs, cancellation).
// torch.hub's source="local": `dir` made absolute, symlinks resolved.
// kNotFound when it is not a directory.
absl::StatusOr<std::string> LocalRepoDir(absl::string_view dir);

absl::StatusOr<DownloadResult> DownloadUrlToFile(absl::string_view url, absl::string_view dst,
                                                 std::optional<std::string> hash_prefix,
                                                 bool progress = true);

// --- list and help from the entrypoint cache (hub/hubconf/entry_cache.h) ---

// What list and help answered for `repo_dir` before, if it is still
// current; nullopt on a miss (then torch.h's DescribeRepo runs Python).
absl::StatusOr<std::optional<HubconfDescription>> CachedDescription(absl::string_view repo_dir);

// torch.hub.list and help answered from the entrypoint cache only: the repo
// is fetched (RepoDir), then nullopt when the cache has no current answer.
absl::StatusOr<std::optional<std::vector<std::string>>> ListFromEntryCache(
    absl::string_view github, const HubOptions& options = {});
absl::StatusOr<std::optional<std::optional<std::string>>> HelpFromEntryCache(
    absl::string_view github, absl::string_view model, const HubOptions& options = {});

// --- how a repo is parsed and cached ---

struct ParsedRepo {
  RepoRef repo;
  std::string hub_dir;
  std::optional<std::string> normalized_ref;  // without a ref: unknown until fetched
  std::optional<std::string> cache_dir;       // without a ref: unknown until fetched
  // The directories it may map to: the one, or one per default-branch
  // candidate (main, master).
  std::vector<std::string> cache_dir_candidates;
};
absl::StatusOr<ParsedRepo> ParseRepo(absl::string_view text);

// --- the trusted list (hub/trust) ---

struct TrustedListContents {
  std::string path;                         // <hub dir>/trusted_list
  std::vector<std::string> entries;         // its lines
  std::vector<std::string> trusted_owners;  // the owner allowlist
  std::vector<std::string> environment;     // TORCHHUB_TRUST's entries
};
absl::StatusOr<TrustedListContents> ReadTrustedList();

// A repo ("owner/name[:ref]") or a git remote's URL (IsRemoteEntry), as
// trusted_list has it.
struct TrustChange {
  bool remote = false;   // a git remote, trusted by its exact URL
  std::string entry;     // the trusted_list line: "owner_name" or the URL
  std::string subject;   // the repo as given ("owner/name[:ref]") or the URL
  bool changed = false;  // added, or removed; false: already so
  std::string trusted_list;
  // After a repo's removal: why it is still trusted, if it is.
  std::optional<TrustReason> still_trusted_because;
};
// Adds to (makes the hub dir and the file if needed) or removes from the
// trusted list. kInvalidArgument for a malformed repo or URL.
absl::StatusOr<TrustChange> AddTrusted(absl::string_view repo_or_remote);
absl::StatusOr<TrustChange> RemoveTrusted(absl::string_view repo_or_remote);

struct TrustVerdict {
  bool remote = false;
  std::string subject;  // the repo ("owner/name[:ref]") or the URL
  TrustReason reason = TrustReason::kNotTrusted;
  bool trusted() const { return reason != TrustReason::kNotTrusted; }
};
// Why a repo or remote is trusted, or kNotTrusted; asks nobody.
absl::StatusOr<TrustVerdict> CheckTrusted(absl::string_view repo_or_remote);

// --- the cache verbs, on GetDir() ---

// Its repos (with their fetch records) and checkpoints.
absl::StatusOr<CacheListing> CacheList();
// Every checkpoint re-hashed against its record or its name.
absl::StatusOr<std::vector<CheckpointCheck>> CacheVerify();
// Every item the lock file at `lock_path` pins, against the hub dir;
// `hashed` (file name -> SHA-256) spares re-hashing what CacheVerify just
// hashed.
absl::StatusOr<std::vector<PinCheck>> CacheVerifyLock(
    const std::string& lock_path, const std::map<std::string, std::string>& hashed = {});
// PruneCache, keeping what the lock file (LockPathFor `lock_file`) pins.
absl::StatusOr<PruneReport> CachePrune(PruneOptions options, absl::string_view lock_file = "");
// RemoveItem: one repo ("owner/name:ref", or its dir name) or checkpoint
// (its file name), with its records, scratch, temps and locks, under its
// lock.
absl::StatusOr<RemoveResult> CacheRemove(absl::string_view what, const RemoveOptions& options = {});

// --- the sandbox, started early (hub/sandbox/sandbox.h) ---

// For a program about to exec torchhub-python to run a sandboxed Load (the
// `torchhub` command): starts the sandbox's worker now, seeing the hub dir
// and `repo_dir` (when it names a directory) read-only, so that its start-up
// runs beside torchhub-python's. torchhub-python's Load takes it over when
// it needs exactly that view, and otherwise stops it and starts its own.
// Makes the hub dir if need be. Best effort: false when no worker was
// started (no bubblewrap, no worker program, a hub dir it cannot make).
bool StartSandboxWorkerBeforeExec(absl::string_view repo_dir);

// How many sandboxed calls in this process took over a worker started that
// way (`torchhub load --json` reports it).
int64_t SandboxWorkersTakenOver();

// --- the release and the machine (hub/about/environment.h) ---

// torchhub-cpp's version ("0.1.0", the VERSION file). DescribeEnvironment()
// reports it with the hub dir, the libraries' versions, the CA bundle,
// proxies and sandbox support (`torchhub env`).
std::string Version();

}  // namespace hub

#endif  // HUB_API_HUB_H_
