#!/usr/bin/env bash
# Sets up the machine (tools/setup.sh) and runs every check CI runs:
#   1. bazel test //...                     the whole suite, then
#      tools/check_skips.sh                 no test skipped unless allowed
#                                           (tools/skip_allowlist.txt)
#      benchmarks/plot.py --check           the README's charts match RESULTS.md
#   2. tests/bazel_consumer/run.sh          another workspace using torchhub-cpp
#                                           and bazel/torchhub.bzl's pins;
#      tests/libtorch_layouts/run.sh        TORCHHUB_LIBTORCH / TORCHHUB_PYTHON
#      tools/mutants.sh                    curated mutants, each must be killed
#                                           (full run only)
#      tools/check_cmake.py,               the CMake build: it reads what Bazel
#      tests/cmake_consumer/run.sh         reads; cmake, ctest, install, and a
#                                           find_package(torchhub) project
#                                           (full run only)
#   3. tools/format.sh                      clang-format, buildifier
#      tools/tidy.sh                        clang-tidy
#   4. bazel test --config=asan //...       the same under ASan + UBSan
#   5. bazel test --config=tsan ...         the threaded libraries under TSan
#
#   tools/test.sh            everything
#   tools/test.sh --quick    the suite and the consumer workspace (steps 1-2)
# Extra arguments after the options go to the bazel test runs of this
# workspace (steps 1, 4, 5).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=0
if [[ "${1:-}" == "--quick" ]]; then
  quick=1
  shift
fi

tools/setup.sh

step() { printf '\n=== %s (at %d s) ===\n' "$*" "$((SECONDS - start))" >&2; }
start=$SECONDS

step "bazel test //..."
bazel test --config=ci "$@" //...

step "tools/check_skips.sh"
BAZEL_FLAGS="--config=ci" tools/check_skips.sh //...

step "benchmarks/plot.py --check"
/usr/bin/python3 benchmarks/plot.py --check

step "tests/bazel_consumer/run.sh"
tests/bazel_consumer/run.sh

step "tests/libtorch_layouts/run.sh"
tests/libtorch_layouts/run.sh

if ((quick)); then
  echo "test.sh: quick checks passed in $((SECONDS - start)) s" >&2
  exit 0
fi

step "format (clang-format, buildifier)"
tools/format.sh

# Now, while the plain build is the one in bazel-out (the sanitizers'
# builds replace it).
step "clang-tidy"
TIDY_BAZEL_FLAGS="--config=ci" tools/tidy.sh

step "CMake: tools/check_cmake.py, tests/cmake_consumer/run.sh"
tools/check_cmake.py
tests/cmake_consumer/run.sh

step "tools/mutants.sh (each planted bug must be caught)"
tools/mutants.sh

step "bazel test --config=asan //..."
bazel test --config=ci --config=asan "$@" //...

step "bazel test --config=tsan (threaded libraries)"
bazel test --config=ci --config=tsan "$@" //hub/download/... //hub/fs/... //hub/trust/... //hub/base/...

echo "test.sh: all checks passed in $((SECONDS - start)) s" >&2
