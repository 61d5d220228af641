#!/usr/bin/env bash
# Runs clang-tidy (the checks in .clang-tidy) over every first-party source
# file, using the compilation database Bazel's own compile actions give.
# Exits non-zero on any finding.
#
#   tools/tidy.sh                 # all first-party sources
#   tools/tidy.sh hub/ref/*.cc    # some files
#   TIDY_BAZEL_FLAGS="--config=ci" tools/tidy.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

read -r -a bazel_flags <<<"${TIDY_BAZEL_FLAGS:-}"
tidy="${CLANG_TIDY:-clang-tidy-14}"

# External repositories and headers must be in the execution root.
bazel build "${bazel_flags[@]}" //... >/dev/null 2>&1 || bazel build "${bazel_flags[@]}" //...
/usr/bin/python3 tools/compile_commands.py "${bazel_flags[@]}"

if (($#)); then
  files=("$@")
else
  mapfile -t files < <(/usr/bin/python3 -c '
import json
for c in json.load(open("compile_commands.json")):
    print(c["file"])')
fi
execroot="$(bazel info "${bazel_flags[@]}" execution_root 2>/dev/null)"

echo "tidy: ${#files[@]} files" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
printf '%s\n' "${files[@]}" |
  (cd "$execroot" && xargs -P "$(nproc)" -n 1 "$tidy" --quiet -p "$OLDPWD" \
    --config-file="$OLDPWD/.clang-tidy" >"$log" 2>&1) || status=$?
# Show findings (not clang-tidy's "N warnings generated" chatter).
grep -E 'warning:|error:|note:|^ ' "$log" | grep -v 'warnings generated' || true
if ((status != 0)); then
  echo "tidy: findings above (clang-tidy exited $status)" >&2
  exit 1
fi
echo "tidy: clean" >&2
