#!/usr/bin/env bash
# Builds torchhub.1, torchhub's man page, from `torchhub --help` and
# `torchhub --version` with Debian's help2man (tools/setup.sh installs it),
# so the page says what the binary says. Made for a release, never committed.
#
#   tools/man.sh [OUT]                  bazel build //:torchhub, then OUT
#                                       (default: torchhub.1)
#   tools/man.sh --binary PATH [OUT]    the page of an already built binary
#
#   man ./torchhub.1
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary=""
if [[ "${1:-}" == "--binary" ]]; then
  binary="${2:?--binary needs the path of a torchhub binary}"
  shift 2
fi
out="${1:-torchhub.1}"

help2man="$(command -v help2man || true)"
if [[ -z "$help2man" ]]; then
  echo "man: help2man is missing; run tools/setup.sh (apt-get install help2man)" >&2
  exit 1
fi
if [[ -z "$binary" ]]; then
  (cd "$root" && bazel build --config=ci //:torchhub >&2)
  binary="$root/bazel-bin/hub/cli/torchhub"
fi
if [[ ! -x "$binary" ]]; then
  echo "man: $binary is not an executable torchhub" >&2
  exit 1
fi

"$help2man" --no-info --section=1 \
  --name="PyTorch Hub for C++: the same cache as Python's torch.hub" \
  --output="$out" "$binary"
echo "man: wrote $out" >&2
