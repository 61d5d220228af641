#!/usr/bin/python3
"""Mutation check: plants each bug in MUTANTS, one at a time, and fails if
the unit tests named for it still pass.

Each mutant is a realistic slip in a rule the project promises (a length
check off, a comparison shortened, a trust mode swapped, a path check
dropped, an allow-list widened, a lock check skipped, a normalisation
changed, a retry condition inverted). A mutant that survives means a test
is missing; a mutant whose text is no longer in its file means the code
moved and the entry must be updated; a mutant that does not compile is
a broken entry. All three fail the run.

  tools/mutants.sh                  # every mutant
  tools/mutants.sh hash-prefix-4    # some, by name
  tools/mutants.sh --list

Only unit targets run, so each mutant costs one incremental compile and
a few test binaries. The source tree is restored after each mutant, also
on Ctrl-C (the original text is written back before exiting). Meanwhile
a bug is planted in the working tree: commit nothing while this runs (a
`git commit -a` would take the mutant along).
"""

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import time


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str  # must occur exactly once in `path`
    new: str
    targets: tuple
    why: str


MUTANTS = (
    Mutant(
        "ref-dotdot-allowed",
        "hub/ref/repo_ref.cc",
        'if (absl::StrContains(part, "..")) {',
        'if (false && absl::StrContains(part, "..")) {',
        ("//hub/ref:repo_ref_test",),
        "an owner or name with '..' could lead a cache path out of the hub dir",
    ),
    Mutant(
        "ref-normalise-first-slash",
        "hub/ref/repo_ref.cc",
        "std::replace(normalized.begin(), normalized.end(), '/', '_');",
        "if (size_t at = normalized.find('/'); at != std::string::npos) normalized[at] = '_';",
        ("//hub/ref:repo_ref_test", "//hub/cache:layout_test"),
        "a ref with two slashes would map to a directory Python's torch.hub does not use",
    ),
    Mutant(
        "hash-prefix-4",
        "hub/hash/hash_prefix.cc",
        "if (hex_digest.substr(0, hash_prefix.size()) == hash_prefix) return absl::OkStatus();",
        "if (hex_digest.substr(0, 4) == hash_prefix.substr(0, 4)) return absl::OkStatus();",
        ("//hub/hash:hash_prefix_test",),
        "a file whose digest shares 4 hex digits with the expected one would be accepted",
    ),
    Mutant(
        "trust-check-never-asks",
        "hub/trust/trust.cc",
        "if (options.mode == TrustMode::kFalse || (options.mode == TrustMode::kCheck && !trusted)) {",
        "if (options.mode == TrustMode::kFalse) {",
        ("//hub/trust:trust_test",),
        "trust_repo='check' would run an untrusted repo without asking",
    ),
    Mutant(
        "terminal-del-passes",
        "hub/base/terminal_text.cc",
        "if ((c < 0x20 && c != '\\n' && c != '\\t') || c == 0x7f) {",
        "if (c < 0x20 && c != '\\n' && c != '\\t') {",
        ("//hub/base:terminal_text_test",),
        "a DEL byte from a server would reach the user's terminal unescaped",
    ),
    Mutant(
        "archive-dotdot-allowed",
        "hub/archive/extract.cc",
        'if (part == "..") {',
        "if (false) {",
        ("//hub/archive:extract_test",),
        "an archive entry named ../x would be written outside the destination",
    ),
    Mutant(
        "pickle-allow-list-widened",
        "hub/checkpoint/pickle.cc",
        '{"collections", "OrderedDict", Global::kOrderedDict},',
        '{"collections", "OrderedDict", Global::kOrderedDict},\n'
        '      {"os", "system", Global::kOrderedDict},',
        ("//hub/checkpoint:pickle_test",),
        "a pickle naming os.system would be read instead of refused",
    ),
    Mutant(
        "pickle-budget-off",
        "hub/checkpoint/pickle.cc",
        "__builtin_add_overflow(work_done_, bytes, &work_done_) || work_done_ > WorkAllowed()) {",
        "__builtin_add_overflow(work_done_, bytes, &work_done_)) {",
        ("//hub/checkpoint:pickle_test", "//hub/checkpoint:pickle_growth_test"),
        "a small pickle could make the reader build gigabytes of objects",
    ),
    Mutant(
        "zip-local-name-unchecked",
        "hub/checkpoint/internal/zip_directory.cc",
        "if (local_name != e.name) {",
        "if (false) {",
        ("//hub/checkpoint:hostile_zip_test",),
        "a zip whose central directory and local headers name different files would be read",
    ),
    Mutant(
        "zip-overlap-unchecked",
        "hub/checkpoint/internal/zip_directory.cc",
        "if (spans[k].first < spans[k - 1].second) {",
        "if (spans[k].first < spans[k - 1].first) {",
        ("//hub/checkpoint:hostile_zip_test",),
        "two zip entries sharing bytes (a zip bomb's trick) would be read",
    ),
    Mutant(
        "safetensors-end-unchecked",
        "hub/checkpoint/safetensors.cc",
        "if (t.begin > t.end || t.end > data_size) {",
        "if (t.begin > t.end) {",
        ("//hub/checkpoint:safetensors_test",),
        "a tensor's data_offsets could point past the end of the file",
    ),
    Mutant(
        "fs-rename-replaces",
        "hub/fs/files.cc",
        "renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0",
        "renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), 0) == 0",
        ("//hub/fs:files_test",),
        "publishing could silently replace a file another process put in place",
    ),
    Mutant(
        "lock-exclusive-is-shared",
        "hub/fs/file_lock.cc",
        "return mode == FileLock::Mode::kExclusive ? LOCK_EX : LOCK_SH;",
        "return mode == FileLock::Mode::kExclusive ? LOCK_SH : LOCK_SH;",
        ("//hub/fs:file_lock_test",),
        "two processes could hold the one-download lock at once",
    ),
    Mutant(
        "redirect-https-to-http",
        "hub/download/curl_common.cc",
        'old_parts->scheme == "https" && new_parts->scheme != "https"',
        'false && old_parts->scheme == "https" && new_parts->scheme != "https"',
        ("//hub/download:curl_common_test", "//hub/download:http_get_rules_test"),
        "an https download could be redirected to plain http",
    ),
    Mutant(
        "prune-ignores-lock",
        "hub/inventory/prune.cc",
        "if (!l.ok() && l.status().code() == absl::StatusCode::kUnavailable) return in_use();",
        "if (false) return in_use();",
        ("//hub/inventory:prune_test",),
        "prune would not report an item another process holds as in use",
    ),
    Mutant(
        "pin-digest-unchecked",
        "hub/lock/pinned.cc",
        "if (digest == pin.content_sha256) return absl::OkStatus();",
        "if (!digest.empty()) return absl::OkStatus();",
        ("//hub/lock:pinned_test",),
        "a fetched repo whose content differs from the lock's digest would be used",
    ),
    Mutant(
        "layout-slash-in-file-name",
        "hub/cache/layout.cc",
        'if (absl::StrContains(name, \'/\')) return refuse("contains \\"/\\"");',
        "",
        ("//hub/cache:layout_test",),
        "a checkpoint file name with '/' would be written into a subdirectory",
    ),
    Mutant(
        "download-length-unchecked",
        "hub/download/downloader.cc",
        "if (expected_end_ >= 0 && have != expected_end_) {",
        "if (false) {",
        ("//hub/download:downloader_rules_test",),
        "a body shorter than the server declared (a short 206) would be installed",
    ),
    Mutant(
        "download-etag-ignored",
        "hub/download/downloader.cc",
        "(record_.etag.empty() || head_.etag.empty() || head_.etag == record_.etag) &&",
        "true &&",
        ("//hub/download:downloader_rules_test",),
        "a resume would append the rest of a changed file to the old file's start",
    ),
    Mutant(
        "download-split-inverted",
        "hub/download/downloader.cc",
        "if (slow || throttled) {",
        "if (!(slow || throttled)) {",
        ("//hub/download:downloader_parallel_test",),
        "a capped or stalled first stream would keep the whole file, a fast one be split",
    ),
    Mutant(
        "retry-5xx-not-retried",
        "hub/download/http_error.cc",
        "return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;",
        "return code == 408 || code == 429;",
        ("//hub/download:downloader_rules_test", "//hub/download:http_get_rules_test"),
        "a 503 from an overloaded server would fail the download at once instead of retrying",
    ),
    Mutant(
        "entry-cache-ignores-content",
        "hub/hubconf/entry_cache.cc",
        'j.GetString({"content"}) != std::string(digest) ||',
        '!j.GetString({"content"}).has_value() || digest.empty() ||',
        ("//hub/hubconf:entry_cache_test",),
        "an edited hubconf.py would still be answered from the old list/help cache entry",
    ),
    Mutant(
        "sandbox-answer-uncapped",
        "hub/sandbox/sandbox.cc",
        "if (length > cap) return TooLong(",
        "if (false) return TooLong(",
        ("//hub/sandbox:sandbox_test",),
        "a hostile worker could make the parent buffer an answer of any size",
    ),
    Mutant(
        "source-fork-unchecked",
        "hub/source/source.cc",
        'return *status == "identical" || *status == "ahead";',
        "return !status->empty();",
        ("//hub/source:source_test", "//hub/lock:pinned_test", "//tests/source:github_source_test"),
        "a commit only a fork has would be accepted as the repo's own",
    ),
    Mutant(
        "git-dot-git-entry",
        "hub/git/remote.cc",
        'absl::EqualsIgnoreCase(name, ".git") || absl::StrContains(name, \'/\');',
        "absl::StrContains(name, '/');",
        ("//hub/git:remote_test",),
        "a fetched tree could write a .git directory (hooks, config) into the cache",
    ),
    Mutant(
        "git-short-commit-prefix",
        "hub/git/remote.cc",
        "if (ref.size() < kMinPrefix) {",
        "if (ref.empty()) {",
        ("//hub/git:remote_test",),
        "a one-character ref could resolve to whichever commit happens to start with it",
    ),

)


def run(cmd, log):
    with open(log, "ab") as out:
        out.write(("\n$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--bazel-flag", action="append", default=[], help="extra bazel flag")
    parser.add_argument("--log", default="/tmp/torchhub-mutants.log", help="bazel output goes here")
    args = parser.parse_args()

    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    by_name = {m.name: m for m in MUTANTS}
    if len(by_name) != len(MUTANTS):
        sys.exit("mutants.py: two mutants share a name")
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:28} {m.path}: {m.why}")
        return 0
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        sys.exit(f"mutants.py: no mutant named {', '.join(unknown)} (see --list)")
    chosen = [by_name[n] for n in args.names] if args.names else list(MUTANTS)

    # Every entry must still apply: text present exactly once.
    stale = []
    for m in chosen:
        count = open(m.path, encoding="utf-8").read().count(m.old)
        if count != 1:
            stale.append(f"  {m.name}: its text occurs {count} times in {m.path} (must be 1)")
    if stale:
        print("mutants.py: entries no longer match the code; update MUTANTS:", file=sys.stderr)
        print("\n".join(stale), file=sys.stderr)
        return 1

    bazel = ["bazel", "test", "--config=ci", "--test_output=summary", *args.bazel_flag]
    open(args.log, "w").close()
    targets = sorted({t for m in chosen for t in m.targets})
    print(f"mutants: baseline ({len(targets)} targets)...", file=sys.stderr, flush=True)
    if run(bazel + targets, args.log) != 0:
        print(f"mutants.py: the unmutated targets fail; see {args.log}", file=sys.stderr)
        return 1

    # Restore on SIGINT/SIGTERM too: the tree must never keep a mutant.
    current = {}

    def restore():
        for path, text in list(current.items()):
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            del current[path]

    def on_signal(signum, _frame):
        restore()
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    survived, broken = [], []
    for m in chosen:
        start = time.monotonic()
        original = open(m.path, encoding="utf-8").read()
        current[m.path] = original
        try:
            with open(m.path, "w", encoding="utf-8") as f:
                f.write(original.replace(m.old, m.new, 1))
            rc = run(bazel + list(m.targets), args.log)
        finally:
            restore()
        # bazel: 0 all passed, 3 some test failed, 1 build failed.
        verdict = {0: "SURVIVED", 3: "killed"}.get(rc, f"did not build (bazel exit {rc})")
        print(f"  {m.name:28} {verdict:10} {time.monotonic() - start:5.0f} s", file=sys.stderr,
              flush=True)
        if rc == 0:
            survived.append(m)
        elif rc != 3:
            broken.append(m)

    for m in survived:
        print(f"mutants: {m.name} survived {' '.join(m.targets)}: {m.why}", file=sys.stderr)
    for m in broken:
        print(f"mutants: {m.name} did not build; fix its entry (see {args.log})", file=sys.stderr)
    if survived or broken:
        return 1
    print(f"mutants: all {len(chosen)} killed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
