#!/usr/bin/env bash
# A warm `torchhub list` with and without a lock file, on a cached repo of
# 400 files of 6 KB (answered from the entrypoint cache): what pinning adds
# to a load that needs no Python. Whole processes, interleaved, medians.
#
#   benchmarks/compare_pinned_list.sh [--reps N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reps=20
if [[ "${1:-}" == "--reps" ]]; then reps="$2"; fi

flags=(--config=ci -c opt)
bazel build "${flags[@]}" //hub/cli:torchhub //hub/cli:torchhub-python >&2
torchhub="$(bazel info "${flags[@]}" bazel-bin 2>/dev/null)/hub/cli/torchhub"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

hub="$work/hub"
repo="$hub/owner_models_main"
mkdir -p "$repo"
printf 'def a():\n    pass\n' >"$repo/hubconf.py"
for i in $(seq 0 399); do
  mkdir -p "$repo/pkg$((i % 20))"
  head -c 6000 /dev/urandom >"$repo/pkg$((i % 20))/mod$i.py"
done
# As torchhub's fetch records it, so that `torchhub lock` knows the commit.
echo '{"repo":"owner/models:main","commit":"0123456789abcdef0123456789abcdef01234567"}' \
  >"$hub/.owner_models_main.source"
echo owner_models >"$hub/trusted_list"
"$torchhub" --hub-dir "$hub" lock --lock "$work/torchhub.lock" owner/models:main --offline >&2
"$torchhub" --hub-dir "$hub" list owner/models:main --quiet --offline >/dev/null
# Past the one-second window in which a digest is not yet reused.
sleep 1.2
"$torchhub" --hub-dir "$hub" list owner/models:main --quiet --offline \
  --lock "$work/torchhub.lock" >/dev/null

/usr/bin/python3 - "$torchhub" "$hub" "$work/torchhub.lock" "$reps" <<'PY'
import statistics, subprocess, sys, time
torchhub, hub, lock, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def run(extra):
    start = time.perf_counter()
    subprocess.run([torchhub, "--hub-dir", hub, "list", "owner/models:main", "--quiet",
                    "--offline"] + extra, check=True, capture_output=True)
    return time.perf_counter() - start
plain, pinned = [], []
for _ in range(reps):
    plain.append(run([]))
    pinned.append(run(["--lock", lock]))
a, b = statistics.median(plain) * 1e3, statistics.median(pinned) * 1e3
print(f"torchhub list                 {a:6.1f} ms")
print(f"torchhub list --lock FILE     {b:6.1f} ms   (+{b - a:.1f} ms)")
PY
