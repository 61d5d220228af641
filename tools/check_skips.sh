#!/usr/bin/env bash
# Fails when a test of the last `bazel test` run reported SKIPPED and is not
# on tools/skip_allowlist.txt: a skipped test tests nothing, and a silent one
# is how CI ran for months without the tests that need a non-root user.
#
#   tools/check_skips.sh                 the tests of //...
#   tools/check_skips.sh //hub/trust/... the tests of these patterns
#
# Reads each test's logs under bazel-testlogs (all shards and attempts):
# gtest's "[  SKIPPED ] Suite.Test (N ms)" lines in test.log and
# result="skipped" test cases in test.xml. Run it right after `bazel test`
# with the same patterns and --config (tools/test.sh does); tests that have
# no logs (not run) are not judged. BAZEL_FLAGS adds flags to `bazel info`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

allowlist=tools/skip_allowlist.txt
patterns=("$@")
if ((${#patterns[@]} == 0)); then patterns=(//...); fi

# shellcheck disable=SC2086
testlogs=$(bazel info ${BAZEL_FLAGS:-} bazel-testlogs 2>/dev/null)
query="tests(set(${patterns[*]})) except attr(tags, 'manual', set(${patterns[*]}))"
mapfile -t labels < <(bazel query --noshow_progress "$query" 2>/dev/null | sort)
if ((${#labels[@]} == 0)); then
  echo "check_skips: no tests match ${patterns[*]}" >&2
  exit 1
fi

# "<label> <Suite.Test>" for every skipped test case, once each.
skipped_tests() {
  local label dir
  for label in "${labels[@]}"; do
    dir="$testlogs/${label#//}"
    dir="${dir/://}"
    [[ -d "$dir" ]] || continue
    {
      find "$dir" -name test.log -type f -print0 |
        xargs -0 -r grep -ohE '^\[  SKIPPED \] [^ ]+ \([0-9]+ ms\)$' |
        sed -E 's/^\[  SKIPPED \] ([^ ]+) .*/\1/' || true
      find "$dir" -name test.xml -type f -print0 |
        xargs -0 -r grep -ohE '<testcase [^>]*result="skipped"[^>]*>' |
        sed -E 's/.* name="([^"]*)".* classname="([^"]*)".*/\2.\1/' || true
    } | sort -u | sed "s|^|$label |"
  done
}

# Whether "<label> <test>" matches an allow-list entry.
allowed() {
  local label=$1 test=$2 entry_label entry_test
  while read -r entry_label entry_test _; do
    [[ -z "$entry_label" || "$entry_label" == \#* ]] && continue
    # shellcheck disable=SC2053
    if [[ "$label" == "$entry_label" && "$test" == $entry_test ]]; then return 0; fi
  done <"$allowlist"
  return 1
}

failed=0
while read -r label test; do
  [[ -z "$label" ]] && continue
  if allowed "$label" "$test"; then
    echo "check_skips: skipped (allowed): $label $test" >&2
  else
    echo "check_skips: SKIPPED and not on $allowlist: $label $test" >&2
    failed=1
  fi
done < <(skipped_tests)

if ((failed)); then
  echo "check_skips: make these tests run here (see hub/base/run_as_unprivileged.h for the" \
    "root-only cases), or add each to $allowlist with a comment saying why it may skip" >&2
  exit 1
fi
echo "check_skips: no unexpected skips in ${#labels[@]} test targets" >&2
