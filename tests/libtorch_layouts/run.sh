#!/usr/bin/env bash
# Checks TORCHHUB_LIBTORCH / TORCHHUB_PYTHON (third_party/*/repository.bzl)
# beyond Debian's default layout, with no download:
#
#   1. a pip-wheel-shaped tree (include/, lib/, share/cmake/Torch) made of
#      Debian's libtorch files: libtorch_test and environment_test build
#      and pass against it, the test binary's RUNPATH is the tree's lib/,
#      and torchhub env's source names the tree's root;
#   2. the same tree marked pre-C++11 ABI, a root without
#      include/torch/script.h, and a missing interpreter are each refused
#      with their message, building nothing.
#
#   tests/libtorch_layouts/run.sh
#
# Uses its own output base (removed at the end) and no convenience
# symlinks, so the workspace's own bazel-* links are left alone. A real
# wheel or libtorch zip (and any 2.x) is not tried: none is on this machine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/torchhub-layouts.XXXXXX")"
output_base="$tmp/output_base"
cleanup() {
  (cd "$root" && bazel --output_base="$output_base" shutdown >/dev/null 2>&1) || true
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

bzl() {
  (cd "$root" && bazel --output_base="$output_base" "$@" --config=ci --symlink_prefix=/)
}

fail() {
  echo "layouts: FAILED: $*" >&2
  exit 1
}

# 1. A wheel-shaped libtorch.
wheel="$tmp/site-packages/torch"
mkdir -p "$wheel/include" "$wheel/lib" "$wheel/share/cmake/Torch"
for d in ATen c10 caffe2 torch; do ln -s "/usr/include/$d" "$wheel/include/$d"; done
for l in libtorch libtorch_cpu libc10 libtorch_python; do
  ln -s "/usr/lib/x86_64-linux-gnu/$l.so" "$wheel/lib/$l.so"
done
cp /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfigVersion.cmake \
  /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake "$wheel/share/cmake/Torch/"

bzl test --repo_env=TORCHHUB_LIBTORCH="$wheel" \
  //third_party/libtorch:libtorch_test //hub/about:environment_test \
  || fail "the wheel-shaped libtorch did not build or pass"
bin="$(cd "$root" && bazel --output_base="$output_base" info --config=ci \
  --repo_env=TORCHHUB_LIBTORCH="$wheel" bazel-bin 2>/dev/null)"
readelf -d "$bin/third_party/libtorch/libtorch_test" | grep -q "RUNPATH.*\[$wheel/lib\]" \
  || fail "libtorch_test's RUNPATH is not $wheel/lib"
grep -q "TORCHHUB_LIBTORCH_ROOT \"$wheel\"" \
  "$output_base/external/torchhub_libtorch/torchhub_libtorch_version.h" \
  || fail "the version header does not name $wheel"
echo "layouts: wheel-shaped libtorch builds, links with its rpath and passes" >&2

# 2. Refusals.
expect_refusal() {
  local what="$1" message="$2"
  shift 2
  local log="$tmp/refusal.log"
  if bzl build "$@" //third_party/libtorch:version //third_party/python:version >"$log" 2>&1; then
    fail "$what was accepted"
  fi
  grep -qF "$message" "$log" || { cat "$log" >&2; fail "$what: no \"$message\""; }
  echo "layouts: $what refused" >&2
}
sed -i 's/_GLIBCXX_USE_CXX11_ABI=1/_GLIBCXX_USE_CXX11_ABI=0/' "$wheel/share/cmake/Torch/TorchConfig.cmake"
grep -q '_GLIBCXX_USE_CXX11_ABI=0' "$wheel/share/cmake/Torch/TorchConfig.cmake" \
  || fail "could not mark the tree pre-C++11 ABI"
expect_refusal "a pre-C++11-ABI libtorch" "pre-C++11 string ABI" \
  --repo_env=TORCHHUB_LIBTORCH="$wheel/"
expect_refusal "a root without torch headers" "no include/torch/script.h there" \
  --repo_env=TORCHHUB_LIBTORCH="$tmp/nothing"
expect_refusal "a missing interpreter" "TORCHHUB_PYTHON=$tmp/nothing/python: running it failed" \
  --repo_env=TORCHHUB_PYTHON="$tmp/nothing/python"
echo "layouts: passed" >&2
