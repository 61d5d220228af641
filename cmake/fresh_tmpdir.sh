#!/bin/sh
# fresh_tmpdir.sh DIR COMMAND...: runs COMMAND with DIR made new and empty,
# as Bazel gives every test run a fresh TEST_TMPDIR (tests leave files there
# that a second run must not find). Used by cmake/TorchhubTargets.cmake.
set -e
dir="$1"
shift
if [ -e "$dir" ]; then
  chmod -R u+rwx "$dir" 2>/dev/null || true
  rm -rf "$dir"
fi
mkdir -p "$dir"
exec "$@"
