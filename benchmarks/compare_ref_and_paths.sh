#!/usr/bin/env bash
# Ref parsing and cache-path building: torchhub-cpp's Google Benchmarks and
# Python's torch.hub doing the same work, in one run, with the ratio.
#
#   benchmarks/compare_ref_and_paths.sh
#
# Python side: torch.hub._parse_repo_info on the same five repo strings plus
# the directory name torch.hub builds from them (the lines of
# _get_cache_or_reload that do it), timed with timeit under /usr/bin/python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flags=(--config=ci -c opt)
bazel build "${flags[@]}" //hub/ref:repo_ref_benchmark //hub/cache:layout_benchmark >&2
bin="$(bazel info "${flags[@]}" bazel-bin 2>/dev/null)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

"$bin/hub/ref/repo_ref_benchmark" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/ref.json" \
  --benchmark_out_format=json >/dev/null
"$bin/hub/cache/layout_benchmark" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/layout.json" \
  --benchmark_out_format=json >/dev/null

/usr/bin/python3 - "$out" <<'PY'
import json, os, sys, timeit
import torch.hub as hub

out = sys.argv[1]
def median_ns(path, name):
    for b in json.load(open(path))["benchmarks"]:
        if b["name"] == name + "_median":
            return b["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
    raise KeyError(name)

inputs = ["pytorch/vision:v0.10.0", "NVIDIA/DeepLearningExamples:torchhub",
          "facebookresearch/pytorch_GAN_zoo:hub", "huggingface/pytorch-transformers:main",
          "ailzhang/torchhub_example:ci/test_slash"]
hub_dir = "/home/me/.cache/torch/hub"

def parse_all():
    for s in inputs:
        hub._parse_repo_info(s)

def parse_and_dir_all():
    for s in inputs:
        owner, name, ref = hub._parse_repo_info(s)
        normalized_br = ref.replace("/", "_")
        os.path.join(hub_dir, "_".join([owner, name, normalized_br]))

def best_ns(fn, per_call):
    n = 20000
    runs = timeit.repeat(fn, number=n, repeat=5)
    return sorted(runs)[len(runs) // 2] / (n * per_call) * 1e9

rows = [
    ("parse owner/name:ref", median_ns(f"{out}/ref.json", "BM_ParseRepoRef"),
     best_ns(parse_all, len(inputs))),
    ("parse + cache dir", median_ns(f"{out}/layout.json", "BM_ParseAndRepoDir"),
     best_ns(parse_and_dir_all, len(inputs))),
]
print(f"{'operation':24} {'torchhub-cpp':>14} {'torch.hub':>12} {'speed-up':>9}")
for name, ours, py in rows:
    print(f"{name:24} {ours:11.1f} ns {py:9.1f} ns {py / ours:8.1f}x")
PY
