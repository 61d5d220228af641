#!/usr/bin/env bash
# The sandbox's cost on a load: `torchhub load` of torchvision's resnet18
# (random weights; scripted to TorchScript) from a local repo, as whole
# processes, sandboxed against in-process, interleaved round by round; prints
# each median, the ratio (target: at most 1.15x) and the load average.
#
#   benchmarks/compare_sandbox.sh [--reps N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reps=7
if [[ "${1:-}" == "--reps" ]]; then reps="$2"; fi

flags=(--config=ci -c opt)
bazel build "${flags[@]}" //hub/cli:torchhub //hub/cli:torchhub-python >&2
bin="$(bazel info "${flags[@]}" bazel-bin 2>/dev/null)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Which flag turns the sandbox off: --no-sandbox once the sandbox is the
# default, else none.
if "$bin/hub/cli/torchhub" load --help 2>&1 | grep -q -- "--no-sandbox"; then
  off="--no-sandbox"
else
  off=""
fi

/usr/bin/python3 - "$bin/hub/cli/torchhub" "$work" "$reps" "$off" <<'PY'
import os, statistics, subprocess, sys, time

torchhub, work, reps, off = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
hub_dir = os.path.join(work, "hub")
repo = os.path.join(work, "repo")
os.makedirs(repo)
with open(os.path.join(repo, "hubconf.py"), "w") as f:
    f.write("dependencies = ['torch', 'torchvision']\n"
            "def resnet18():\n"
            "    import torchvision\n"
            "    return torchvision.models.resnet18().eval()\n")

def timed(argv):
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{argv} failed: {p.stderr}")
    return elapsed, int(p.stderr.strip().splitlines()[-1])

base = [torchhub, "--hub-dir", hub_dir, "load", "--source", "local", repo, "resnet18"]
rows = {"in-process": base + ([off] if off else []), "sandboxed": base + ["--sandbox"]}
times = {name: [] for name in rows}
rss = {name: 0 for name in rows}
timed(rows["sandboxed"])  # warm the page cache
for _ in range(reps):  # interleaved, so drift hits both alike
    for name, argv in rows.items():
        t, m = timed(argv)
        times[name].append(t)
        rss[name] = max(rss[name], m)

load = os.getloadavg()
base_ms = statistics.median(times["in-process"]) * 1000
print(f"load average (1, 5, 15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
      f"{reps} runs each")
for name in rows:
    ms = statistics.median(times[name]) * 1000
    print(f"| torchhub load resnet18, {name} | {ms:.0f} ms | {ms / base_ms:.2f}x | "
          f"{rss[name] // 1024} MiB |")
PY
