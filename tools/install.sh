#!/usr/bin/env bash
# Installs what a Bazel build of torchhub-cpp ships into a prefix, laid out as
# the CMake build's `cmake --install` lays it out:
#   PREFIX/bin/torchhub, PREFIX/bin/torchhub-python   side by side (torchhub
#                                                     runs the one beside it)
#   PREFIX/share/man/man1/torchhub.1                  help2man, from --help
#   PREFIX/share/bash-completion/completions/torchhub `torchhub completion bash`
#   PREFIX/share/doc/torchhub/LICENSE
#
#   bazel run --config=ci //:install -- PREFIX     (PREFIX relative to where
#                                                   bazel was run)
# Library users of the Bazel build depend on @torchhub_cpp//:hub instead.
set -euo pipefail

if [[ $# -ne 1 || "$1" == -* ]]; then
  echo "usage: bazel run //:install -- PREFIX" >&2
  exit 2
fi
prefix="$1"
if [[ "$prefix" != /* ]]; then
  prefix="${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix"
fi

# Under `bazel run` (and `bazel test`) the working directory is this
# script's runfiles tree, where its data files lie at their package paths.
for f in hub/cli/torchhub hub/cli/torchhub-python torchhub.1 LICENSE; do
  if [[ ! -f "$f" ]]; then
    echo "install: $f is missing from the runfiles; run this with bazel run //:install" >&2
    exit 1
  fi
done

# `command -p`: coreutils' install, not this script (named install too, and
# in the working directory when bazel runs it).
command -p install -d "$prefix/bin" "$prefix/share/man/man1" \
  "$prefix/share/bash-completion/completions" "$prefix/share/doc/torchhub"
# Each file is written beside its destination and renamed over it, so a
# running torchhub is never overwritten in place.
put() {
  local mode="$1" src="$2" dst="$3"
  command -p install -m "$mode" "$src" "$dst.tmp.$$"
  mv -f "$dst.tmp.$$" "$dst"
}
put 0755 hub/cli/torchhub "$prefix/bin/torchhub"
put 0755 hub/cli/torchhub-python "$prefix/bin/torchhub-python"
put 0644 torchhub.1 "$prefix/share/man/man1/torchhub.1"
put 0644 LICENSE "$prefix/share/doc/torchhub/LICENSE"
completion="$prefix/share/bash-completion/completions/torchhub"
"$prefix/bin/torchhub" completion bash >"$completion.tmp.$$"
mv -f "$completion.tmp.$$" "$completion"
echo "install: torchhub $("$prefix/bin/torchhub" --version | head -1 | awk '{print $NF}') in $prefix" >&2
