#!/usr/bin/env bash
# `list` on a repo already in the hub dir, whose hubconf imports torchvision:
# torchhub cold (the entrypoint cache empty: the hubconf runs in embedded
# Python), torchhub warm (answered from the cache), and Python's
# torch.hub.list as a user runs it (a python3 process), in one run, with the
# ratios and each command's peak memory.
#
#   benchmarks/compare_hubconf_list.sh [--reps N]
#
# Also times the entrypoint cache's lookup alone (Google Benchmark,
# //hub/hubconf:entry_cache_benchmark).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reps=7
if [[ "${1:-}" == "--reps" ]]; then reps="$2"; fi

flags=(--config=ci -c opt)
bazel build "${flags[@]}" //hub/cli:torchhub //hub/cli:torchhub-python \
  //hub/hubconf:entry_cache_benchmark >&2
bin="$(bazel info "${flags[@]}" bazel-bin 2>/dev/null)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bin/hub/hubconf/entry_cache_benchmark" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep -E "median|^BM" >&2 || true

/usr/bin/python3 - "$bin/hub/cli/torchhub" "$work" "$reps" <<'PY'
import os, shutil, statistics, subprocess, sys, time

torchhub, work, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
hub_dir = os.path.join(work, "hub")
repo = os.path.join(hub_dir, "owner_models_main")
os.makedirs(repo)
with open(os.path.join(repo, "hubconf.py"), "w") as f:
    f.write("dependencies = ['torch', 'torchvision']\n"
            "from torchvision.models import resnet18, resnet50, mobilenet_v3_small\n"
            "from torchvision.models import vit_b_16, efficientnet_b0\n")
with open(os.path.join(hub_dir, "trusted_list"), "w") as f:
    f.write("owner_models\n")
cache = os.path.join(hub_dir, ".torchhub-cpp")

def timed(argv, env=None):
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, capture_output=True, text=True,
                       env=env)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{argv} failed: {p.stderr}")
    return elapsed, int(p.stderr.strip().splitlines()[-1]), p.stdout

ours = [torchhub, "--hub-dir", hub_dir, "list", "owner/models:main", "--quiet"]
python = ["/usr/bin/python3", "-c",
          "import torch.hub; torch.hub.set_dir(%r); "
          "print(torch.hub.list('owner/models:main', trust_repo=True))" % hub_dir]

rows = {"torch.hub.list (python3 process)": [], "torchhub list, cold": [],
        "torchhub list, warm": []}
answers = {}
for _ in range(reps):  # interleaved, so drift hits every row alike
    shutil.rmtree(cache, ignore_errors=True)
    t, m, out = timed(ours)
    rows["torchhub list, cold"].append((t, m)); answers["ours"] = out.split()
    t, m, out = timed(ours)
    rows["torchhub list, warm"].append((t, m))
    t, m, out = timed(python)
    rows["torch.hub.list (python3 process)"].append((t, m)); answers["python"] = out
expected = eval(answers["python"].strip())
assert answers["ours"] == expected, (answers["ours"], expected)

base = statistics.median(t for t, _ in rows["torch.hub.list (python3 process)"])
print(f"list on a cached repo whose hubconf imports torchvision; median of {reps}")
print(f"{'command':36} {'median':>9} {'ratio':>8} {'peak RSS':>10}")
for name, samples in rows.items():
    med = statistics.median(t for t, _ in samples)
    rss = max(m for _, m in samples) / 1024
    print(f"{name:36} {med*1000:7.1f} ms {med/base:7.3f}x {rss:7.0f} MiB")
print(f"entrypoints: {expected}")
PY
