// Git remotes through libgit2: listing refs (`git ls-remote`), resolving a
// torch.hub ref against them, and fetching one ref's tree into a plain
// directory (like `git archive` unpacked).
//
// This is how repo sources avoid GitHub's API rate limit: ref validation and
// ref -> commit resolution need only the repository's git URL, and any git
// remote works (https://, git://, file://).
//
//   HUB_ASSIGN_OR_RETURN(std::vector<RemoteRef> refs, hub::LsRemote(url));
//   HUB_ASSIGN_OR_RETURN(ResolvedRef ref, hub::ResolveRef(refs, "main", url));
//   HUB_ASSIGN_OR_RETURN(std::string sha,
//                        hub::FetchTree(url, ref, "/cache/owner_name_main", "/cache/tmp"));
//
// Limits of Debian's libgit2 1.5, which these functions live with:
//  * It has no socket time-outs. GitOptions::timeout is checked whenever
//    libgit2 reports progress (each packet of a fetch, each certificate
//    check), so a transfer that runs too long is cancelled, but a connect to a
//    host that never answers waits for the kernel's own time-out.
//  * It has no shallow fetch: FetchTree fetches the ref's whole history.
//  * Redirects are libgit2's to follow. We fix its policy to git's default
//    (the first request may move to another host, later ones may not),
//    whatever http.followRedirects says in the user's git configuration;
//    libgit2 itself never follows https:// to another scheme, and we report
//    that refusal as kFailedPrecondition naming both URLs (libgit2 names
//    neither, so one more GET of the remote's /info/refs, which never
//    reaches the http:// URL, finds the target).
//  * Debian builds it on mbedTLS. GitOptions::ca_file is set with
//    GIT_OPT_SET_SSL_CERT_LOCATIONS, which is process-wide and *replaces* the
//    trusted certificates (Debian's default is
//    /etc/ssl/certs/ca-certificates.crt) for every later https operation in
//    the process, until another call names a different file. A call with an
//    empty ca_file after one with a ca_file puts the default back. Calls with
//    different ca_files are serialised against each other.

#ifndef HUB_GIT_REMOTE_H_
#define HUB_GIT_REMOTE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {

// One ref a remote advertises.
struct RemoteRef {
  std::string name;  // "refs/heads/main", "refs/tags/v1", "HEAD", ...
  std::string oid;   // 40 hex digits: what the ref points at
  // For an annotated tag, the object it peels to (the "^{}" entry the remote
  // advertises), usually a commit; empty otherwise.
  std::string peeled_oid;
  // For a symbolic ref the remote tells about (HEAD, usually), its target
  // ("refs/heads/main"); empty otherwise.
  std::string symref_target;
};

struct GitOptions {
  // The whole operation's time limit (see the limits above).
  absl::Duration timeout = absl::Seconds(60);
  // PEM file of CA certificates for https remotes; empty: the system's.
  // Process-wide while in effect (see above).
  std::string ca_file;
};

// The remote's refs, as `git ls-remote URL` lists them ("^{}" entries folded
// into their tag's peeled_oid), in the remote's order.
// Errors: kUnavailable when the remote can't be reached or the connection
// fails; kNotFound when the repository doesn't exist as far as libgit2 can
// tell (a missing local path, HTTP 404, or a server that asks for credentials,
// which is how GitHub answers for a missing or private repository);
// kDeadlineExceeded past options.timeout; kFailedPrecondition for a redirect
// that is refused (https:// to http://, or off-site after the first request).
// Messages name the URL and carry libgit2's own text.
absl::StatusOr<std::vector<RemoteRef>> LsRemote(const std::string& url,
                                                const GitOptions& options = {});

struct ResolvedRef {
  std::string kind;       // "branch", "tag" or "commit"
  std::string full_name;  // "refs/heads/x", "refs/tags/x", or "" for a commit
  std::string commit;     // 40 hex digits (annotated tags peeled)
  // The ref FetchTree fetches: full_name for a branch or tag; for a commit,
  // a branch or tag whose head it is.
  std::string fetch_ref;
  // True when `ref` named both a branch and a tag; the branch was taken.
  bool ambiguous = false;
};

// Resolves `ref` as torch.hub means it, against `refs` (from LsRemote):
//  1. "refs/heads/x" or "refs/tags/x": that ref exactly;
//  2. a branch name or a tag name; when both exist the branch wins (as
//     torch.hub's handling of GitHub's 300 answer assumes) and `ambiguous` is
//     set;
//  3. a prefix of at least 4 hex digits (any case) of the commit some branch
//     or tag points at, as torch.hub's check against the API's branch and tag
//     lists accepts; a prefix that matches different commits is refused.
// Errors: kNotFound "Cannot find {ref} in {url_for_messages}. ..." (torch.hub's
// text); kInvalidArgument for an ambiguous commit prefix.
absl::StatusOr<ResolvedRef> ResolveRef(const std::vector<RemoteRef>& refs, absl::string_view ref,
                                       absl::string_view url_for_messages);

// Fetches ref.fetch_ref from `url` into a new bare repository in a temporary
// directory under `scratch_dir`, then writes the commit's tree into
// `dest_dir`: regular files (executable ones with their x bits, modes
// otherwise from the umask), symbolic links as links, directories, and an
// empty directory for each submodule (as `git archive` does); no .git.
//
// For a branch or tag the commit written is the one the ref points at when
// fetched (it may have moved since ResolveRef); for a commit it is exactly
// ref.commit. Returns that commit's 40-hex sha.
//
// The tree is checked before anything is written: entry names that are
// empty, ".", "..", ".git" (any case) or hold a '/' are refused, and so is a
// symbolic link whose target is absolute or leads outside the tree (following
// the tree's other links). The files are written to "<dest_dir>.<32 hex>.fetching"
// beside dest_dir, flushed to disk and renamed into place, so dest_dir exists
// only complete. On any failure nothing is left at dest_dir or in scratch_dir.
//
// Errors: kAlreadyExists when dest_dir exists; kNotFound when its parent or
// scratch_dir doesn't, or the ref is gone from the remote; kInvalidArgument
// for an unsafe tree or a bad `ref`; LsRemote's codes for remote failures.
absl::StatusOr<std::string> FetchTree(const std::string& url, const ResolvedRef& ref,
                                      const std::string& dest_dir, const std::string& scratch_dir,
                                      const GitOptions& options = {});

}  // namespace hub

#endif  // HUB_GIT_REMOTE_H_
