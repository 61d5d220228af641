#!/usr/bin/env bash
# Download throughput: `torchhub download` (SHA-256 checked) against the curl
# CLI and Python's torch.hub.download_url_to_file, same server, same file,
# one run; prints the ratios (targets in ANCHORS.md: >= 0.9x curl, >= 2.5x
# torch.hub). Arguments go to benchmarks/download_compare.cc:
#
#   benchmarks/compare_download.sh                      # 1 GiB, HTTPS, into /dev/shm, 5 runs
#   benchmarks/compare_download.sh --dst-dir /var/tmp   # onto disk
#   benchmarks/compare_download.sh --http --mib 256
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flags=(--config=ci -c opt)
bazel build "${flags[@]}" //hub/cli:torchhub //benchmarks:download_compare >&2
bin="$(bazel info "${flags[@]}" bazel-bin 2>/dev/null)"
exec "$bin/benchmarks/download_compare" --torchhub "$bin/hub/cli/torchhub" "$@"
