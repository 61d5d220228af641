#!/usr/bin/env bash
# Runs clang-tidy (the checks in .clang-tidy) over every first-party source
# file, using the compilation database Bazel's own compile actions give.
# Exits non-zero on any finding.
#
# The static analyzer (clang-analyzer-*) dominates the time: deep, as
# clang's own default, it took this step past 30 minutes on 2 cores. So, unless
# TIDY_DEEP=1: library sources get it in its shallow mode (fewer calls
# inlined per path; lock_file.cc 11.3 -> 4.8 s, downloader.cc 12.6 -> 6.6 s),
# and test, benchmark and fuzzer sources every check but it (its walk through
# gtest's macros: checkpoint_test.cc 53 s, 13 s without it); those run under
# ASan, UBSan and TSan, which find the same faults in them.
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

# Largest first, so that no long file starts last while the other cores idle.
mapfile -t files < <(for f in "${files[@]}"; do printf '%s %s\n' "$(stat -c %s "$f")" "$f"; done |
  sort -rn | cut -d' ' -f2-)
library=()
tests=()
for f in "${files[@]}"; do
  if [[ "${TIDY_DEEP:-0}" != 1 &&
    ("$f" =~ _(test|benchmark|fuzzer)\.cc$ || "$f" == tests/* || "$f" == benchmarks/*) ]]; then
    tests+=("$f")
  else
    library+=("$f")
  fi
done
library_flags=()
if [[ "${TIDY_DEEP:-0}" != 1 ]]; then
  library_flags=(--extra-arg=-Xclang --extra-arg=-analyzer-config --extra-arg=-Xclang
    --extra-arg=mode=shallow)
fi
echo "tidy: ${#library[@]} sources, ${#tests[@]} tests (tests without clang-analyzer-*)" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
tidy_all() {  # FLAGS... -- FILES...
  local flags=()
  while [[ "$1" != -- ]]; do flags+=("$1"); shift; done
  shift
  (($#)) || return 0
  printf '%s\n' "$@" |
    (cd "$execroot" && xargs -d '\n' -P "$(nproc)" -n 1 "$tidy" --quiet -p "$OLDPWD" \
      --config-file="$OLDPWD/.clang-tidy" "${flags[@]}" >>"$log" 2>&1)
}
tidy_all "${library_flags[@]}" -- "${library[@]}" || status=$?
tidy_all "--checks=-clang-analyzer-*" -- "${tests[@]}" || status=$?
# Show findings (not clang-tidy's "N warnings generated" chatter).
grep -E 'warning:|error:|note:|^ ' "$log" | grep -v 'warnings generated' || true
if ((status != 0)); then
  echo "tidy: findings above (clang-tidy exited $status)" >&2
  exit 1
fi
echo "tidy: clean" >&2
