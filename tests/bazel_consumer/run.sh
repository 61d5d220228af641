#!/usr/bin/env bash
# Builds and tests the example consumer workspace (tests/bazel_consumer) the
# way another monorepo would use torchhub-cpp, against loopback servers:
#
#   1. makes the fixtures: a git repo with a hubconf.py (fixed dates, so a
#      fixed commit), GitHub's archive of that commit, and a weight file
#      saved by Python's torch;
#   2. serves them on 127.0.0.1 (plain HTTP: Bazel's Java downloader would
#      need a test CA in its truststore for HTTPS) and writes the pins into a
#      copy of the workspace;
#   3. runs its tests with a fresh output base, the archive found through
#      TORCHHUB_GITHUB_URL (pins.bzl names an unreachable github_url);
#   4. a wrong archive sha256 must fail the fetch with Bazel's checksum error,
#      building nothing, and a malformed commit with torchhub_repository's;
#   5. stops the server and runs the tests again from another fresh output
#      base: only the repository cache of step 3 may supply the pins.
#
#   tests/bazel_consumer/run.sh [--keep]   (--keep: leave the temp dir)
#
# The nested Bazel shares the project's disk cache
# (~/.cache/torchhub-cpp/bazel-disk-cache, or $TORCHHUB_DISK_CACHE), but
# never its cached test results. Needs tools/setup.sh's packages.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
consumer="$root/tests/bazel_consumer"
python=/usr/bin/python3
disk_cache="${TORCHHUB_DISK_CACHE:-$HOME/.cache/torchhub-cpp/bazel-disk-cache}"

keep=0
if [[ "${1:-}" == "--keep" ]]; then keep=1; fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/torchhub-consumer.XXXXXX")"
server_pid=""
output_bases=()

cleanup() {
  local status=$?
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  for ob in "${output_bases[@]}"; do shutdown_bazel "$ob"; done
  if ((keep)); then
    echo "run.sh: kept $tmp" >&2
  else
    chmod -R u+w "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

shutdown_bazel() {  # OUTPUT_BASE
  if [[ -d "$1" ]]; then (cd "$tmp/ws" && bazel --output_base="$1" shutdown) >/dev/null 2>&1 || true; fi
}
say() { printf '\n--- %s\n' "$*" >&2; }
die() { echo "run.sh: FAIL: $*" >&2; exit 1; }
start=$SECONDS
phase_start=$SECONDS
elapsed() { echo "run.sh: $1 in $((SECONDS - phase_start)) s" >&2; phase_start=$SECONDS; }

# --- 1. Fixtures ---------------------------------------------------------------
say "fixtures"
owner=torchhub-test
name=tiny
ref=v1.0
git_dir="$tmp/git/$name"
mkdir -p "$git_dir/tinynet"
cat > "$git_dir/hubconf.py" <<'EOF'
dependencies = ["torch"]

import torch

from tinynet import layers as _layers


def tiny(weights_url=None):
    """A 3 -> 2 linear layer whose output is doubled; weights from weights_url."""
    model = _layers.Doubled(3, 2)
    if weights_url:
        model.load_state_dict(
            torch.hub.load_state_dict_from_url(weights_url, progress=False, check_hash=True))
    return model
EOF
: > "$git_dir/tinynet/__init__.py"
cat > "$git_dir/tinynet/layers.py" <<'EOF'
import torch


class Doubled(torch.nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x)
EOF
export GIT_AUTHOR_NAME=fixture GIT_AUTHOR_EMAIL=fixture@example.com
export GIT_COMMITTER_NAME=fixture GIT_COMMITTER_EMAIL=fixture@example.com
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
git -C "$git_dir" -c init.defaultBranch=main init -q
git -C "$git_dir" add -A
git -C "$git_dir" -c commit.gpgsign=false commit -q -m "tiny model"
git -C "$git_dir" -c tag.gpgsign=false tag "$ref"
commit="$(git -C "$git_dir" rev-parse HEAD)"

srv="$tmp/srv"
mkdir -p "$srv/$owner/$name/archive" "$srv/models"
archive="$srv/$owner/$name/archive/$commit.tar.gz"
git -C "$git_dir" archive --format=tar.gz --prefix="$name-$commit/" -o "$archive" "$commit"
archive_sha256="$(sha256sum "$archive" | cut -d' ' -f1)"

# A state dict with exact values the tests check; named as torch.hub's
# check_hash wants ("-<first 8 hex of its SHA-256>.").
"$python" - "$tmp/tiny.pth" <<'EOF'
import collections, sys, torch
torch.save(collections.OrderedDict(
    weight=torch.arange(6, dtype=torch.float32).reshape(2, 3) / 8,
    bias=torch.tensor([0.5, -0.25])), sys.argv[1])
EOF
weights_sha256="$(sha256sum "$tmp/tiny.pth" | cut -d' ' -f1)"
weights_name="tiny-${weights_sha256:0:8}.pth"
mv "$tmp/tiny.pth" "$srv/models/$weights_name"
echo "run.sh: $owner/$name@$commit, archive $archive_sha256, weights $weights_name" >&2

# --- 2. Server and pins ----------------------------------------------------------
say "server"
"$python" "$root/tests/servers/fault_server.py" --root "$srv" --port-file "$tmp/port" \
  --log "$tmp/requests.log" >"$tmp/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  [[ -s "$tmp/port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.out" >&2; die "the server did not start"; }
  sleep 0.1
done
[[ -s "$tmp/port" ]] || die "the server wrote no port"
base="http://127.0.0.1:$(cat "$tmp/port")"
weights_url="$base/models/$weights_name"

ws="$tmp/ws"
cp -R "$consumer/." "$ws"
rm -f "$ws/run.sh"
write_pins() {  # ARCHIVE_SHA256 COMMIT
  cat > "$ws/pins.bzl" <<EOF
"""Written by tests/bazel_consumer/run.sh."""

PINS = struct(
    torchhub_cpp_path = "$root",
    repo = "$owner/$name",
    ref = "$ref",
    commit = "$2",
    archive_sha256 = "$1",
    # Reserved, never resolves: the archive must come through
    # TORCHHUB_GITHUB_URL (or the repository cache).
    github_url = "http://github.invalid",
    weights_url = "$weights_url",
    weights_sha256 = "$weights_sha256",
)
EOF
}

# One Bazel server per output base, shut down after its phase (cleanup() does
# it on failure). No bazel-* links in the workspace: another output base's
# would be read as packages by //... .
nested_bazel() {  # OUTPUT_BASE COMMAND [ARGS...]
  local ob="$1"
  shift
  output_bases+=("$ob")
  (cd "$ws" && bazel --output_base="$ob" "$@")
}
# Test results are never taken from the disk cache: both runs must run them.
# The tests ran as whoever runs this (root in CI, whom read-only outputs don't
# stop): the hub dir must still hold exactly what torchhub_hub_dir put there.
check_hub_dir_untouched() {  # OUTPUT_BASE
  local got want
  got="$(cd "$1"/execroot/*/bazel-out/k8-fastbuild/bin/torch_home && find . | LC_ALL=C sort)"
  want="$(printf '%s\n' . ./hub ./hub/checkpoints "./hub/checkpoints/.$weights_name.source" \
            "./hub/checkpoints/$weights_name" ./hub/torchhub-test_tiny_v1.0 \
            ./hub/torchhub-test_tiny_v1.0/hubconf.py ./hub/torchhub-test_tiny_v1.0/tinynet \
            ./hub/torchhub-test_tiny_v1.0/tinynet/__init__.py \
            ./hub/torchhub-test_tiny_v1.0/tinynet/layers.py ./hub/trusted_list | LC_ALL=C sort)"
  [[ "$got" == "$want" ]] || die "the hub dir is not as laid out, or a test wrote to it:
$got"
}
common=(--disk_cache="$disk_cache" --symlink_prefix=/ --nocache_test_results --curses=no
        --color=no --show_progress_rate_limit=30)
elapsed "fixtures and server"

# --- 3. Online: fetch through TORCHHUB_GITHUB_URL, build, test -------------------
say "bazel test, fetching from $base"
write_pins "$archive_sha256" "$commit"
repo_cache="$tmp/repository_cache"
nested_bazel "$tmp/ob_online" test "${common[@]}" --repository_cache="$repo_cache" \
  --repo_env=TORCHHUB_GITHUB_URL="$base" //... \
  || die "the consumer's tests failed with the server up"
grep -F "/$owner/$name/archive/$commit.tar.gz" "$tmp/requests.log" | grep -q '"status": 200' \
  || die "the archive was not fetched from the loopback server"
check_hub_dir_untouched "$tmp/ob_online"
shutdown_bazel "$tmp/ob_online"
elapsed "online build and test"

# --- 4. Unhappy paths --------------------------------------------------------------
say "a wrong sha256 fails the fetch"
wrong="$(printf '%064d' 0)"
write_pins "$wrong" "$commit"
set +e
nested_bazel "$tmp/ob_bad" test "${common[@]}" --repository_cache="$tmp/repository_cache_bad" \
  --repo_env=TORCHHUB_GITHUB_URL="$base" //... >"$tmp/bad.log" 2>&1
rc=$?
set -e
grep -q "Checksum was $archive_sha256 but wanted $wrong" "$tmp/bad.log" \
  || { cat "$tmp/bad.log" >&2; die "no checksum error for a wrong sha256 (exit $rc)"; }
((rc == 1)) || die "a wrong sha256 exited $rc, not 1 (build failure)"
grep -q "INFO: 0 processes." "$tmp/bad.log" || die "a failed fetch still ran actions"
built="$(find "$tmp/ob_bad/execroot" -path '*/bazel-out/*' -type f \
           \( -name '*.o' -o -name '*_test' -o -name 'torch_home*' \) 2>/dev/null | head -n1)"
[[ -z "$built" ]] || die "a failed fetch still built $built"

say "a malformed commit is refused"
write_pins "$archive_sha256" "v1.0"
set +e
nested_bazel "$tmp/ob_bad" test "${common[@]}" --repository_cache="$tmp/repository_cache_bad" \
  --repo_env=TORCHHUB_GITHUB_URL="$base" //... >"$tmp/bad_commit.log" 2>&1
rc=$?
set -e
grep -q "commit 'v1.0' must be a full commit id" "$tmp/bad_commit.log" \
  || grep -q 'commit "v1.0" must be a full commit id' "$tmp/bad_commit.log" \
  || { cat "$tmp/bad_commit.log" >&2; die "no clear error for a malformed commit (exit $rc)"; }
shutdown_bazel "$tmp/ob_bad"
elapsed "unhappy paths"

# --- 5. Offline: the server gone, a fresh output base, the repository cache -------
say "bazel test with the server stopped"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
write_pins "$archive_sha256" "$commit"
nested_bazel "$tmp/ob_offline" test "${common[@]}" --repository_cache="$repo_cache" \
  --repo_env=TORCHHUB_GITHUB_URL="$base" //... \
  || die "the consumer's tests failed from the repository cache alone"
check_hub_dir_untouched "$tmp/ob_offline"
shutdown_bazel "$tmp/ob_offline"
elapsed "offline build and test"

echo "run.sh: the consumer workspace passed (online, offline, unhappy paths) in $((SECONDS - start)) s" >&2
