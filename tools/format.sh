#!/usr/bin/env bash
# Checks (default) or applies (--fix) the formatters on first-party files:
# clang-format on C++, buildifier (format and lint) on BUILD, .bzl and
# WORKSPACE files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
format="${CLANG_FORMAT:-clang-format-14}"
buildifier="${BUILDIFIER:-$(ls "$HOME"/.cache/torchhub-cpp/buildifier-*/node_modules/@bazel/buildifier/buildifier-linux_"$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')" 2>/dev/null | tail -n1)}"
if [[ -z "$buildifier" || ! -x "$buildifier" ]]; then
  echo "format: no buildifier; run tools/setup.sh (or set BUILDIFIER)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.cc' '*.h')
mapfile -t starlark < <(git ls-files '*.bazel' '*.bzl' '*.BUILD' 'WORKSPACE' '*/WORKSPACE')
if [[ "${1:-}" == "--fix" ]]; then
  "$format" -i "${files[@]}"
  "$buildifier" -mode=fix -lint=fix "${starlark[@]}"
  exit 0
fi
status=0
if ! "$format" --dry-run --Werror "${files[@]}"; then
  status=1
fi
if ! "$buildifier" -mode=check -lint=warn "${starlark[@]}"; then
  status=1
fi
if ((status)); then
  echo "format: run tools/format.sh --fix" >&2
  exit 1
fi
echo "format: ${#files[@]} C++ and ${#starlark[@]} Starlark files clean" >&2
