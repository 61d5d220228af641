#!/usr/bin/env bash
# Checks (default) or applies (--fix) clang-format on first-party C++ files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
format="${CLANG_FORMAT:-clang-format-14}"
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [[ "${1:-}" == "--fix" ]]; then
  "$format" -i "${files[@]}"
  exit 0
fi
if ! "$format" --dry-run --Werror "${files[@]}"; then
  echo "format: run tools/format.sh --fix" >&2
  exit 1
fi
echo "format: ${#files[@]} files clean" >&2
