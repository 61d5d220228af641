#!/usr/bin/env bash
# Download throughput, issue 18's settings in one run (every contender,
# median of --reps, ratios against the targets): nginx over HTTPS on
# 127.0.0.1 with a per-connection limit_rate (ours against curl and
# `aria2c -x8 -s8`), uncapped (against the verified shell equivalent, curl -o
# then openssl dgst, and a python3 -c process running torch.hub's
# download_url_to_file), and onto disk (against curl, ours with its fsync).
# Arguments go to benchmarks/download_compare.cc:
#
#   benchmarks/compare_download.sh                        # 512 MiB (capped: 128 MiB at 32m), 5 runs
#   benchmarks/compare_download.sh --only capped --rate 16m
#   benchmarks/compare_download.sh --mib 16 --capped-mib 16 --reps 1   # a smoke test
#
# Needs Debian's aria2 (tools/setup.sh installs it) and python3-torch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v aria2c >/dev/null || {
  echo "compare_download.sh: aria2c is missing; run tools/setup.sh (Debian's aria2)" >&2
  exit 1
}
flags=(--config=ci -c opt)
bazel build "${flags[@]}" //hub/cli:torchhub //benchmarks:download_compare >&2
bin="$(bazel info "${flags[@]}" bazel-bin 2>/dev/null)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(date -u +%FT%TZ)"
exec "$bin/benchmarks/download_compare" --torchhub "$bin/hub/cli/torchhub" "$@"
