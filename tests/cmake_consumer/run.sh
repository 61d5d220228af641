#!/usr/bin/env bash
# The CMake route end to end (docs/cmake.md), with no download:
#
#   1. configure and build torchhub-cpp with CMake (Debian's libtorch 1.13,
#      BoringSSL) and run its C++ tests with ctest;
#   2. `cmake --install` into a scratch prefix, and check what is there:
#      both binaries side by side (the installed `torchhub` hands
#      load-state-dict to the installed `torchhub-python`), the man page,
#      torchhubConfig.cmake and torchhub.pc;
#   3. build this directory's project against that prefix with
#      find_package(torchhub) and run it (torchhub::hub and torchhub::torch);
#   4. compile and run a program with `pkg-config --cflags --libs torchhub`.
#
#   tests/cmake_consumer/run.sh
#
# The build directory is kept ($TORCHHUB_CMAKE_BUILD_DIR, default
# build/cmake-ci) so that a second run rebuilds only what changed;
# everything else is made in a scratch directory and removed.
# CMAKE_BUILD_PARALLEL_LEVEL and CTEST_PARALLEL_LEVEL default to 2.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${TORCHHUB_CMAKE_BUILD_DIR:-$root/build/cmake-ci}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
export CTEST_PARALLEL_LEVEL="${CTEST_PARALLEL_LEVEL:-2}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/torchhub-cmake.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "cmake_consumer: FAILED: $*" >&2
  exit 1
}
say() { echo "cmake_consumer: $*" >&2; }

generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
if [[ -f "$build/CMakeCache.txt" ]] && ! grep -q "^CMAKE_GENERATOR:INTERNAL=${generator[1]:-Unix Makefiles}$" \
  "$build/CMakeCache.txt"; then
  rm -rf "$build"
fi

# 1. Build and test. -O1 without NDEBUG: assertions stay on, as in Bazel's
# default (fastbuild) tests, at a modest compile cost.
start=$SECONDS
cmake -S "$root" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE=-O1 -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
  -DTORCHHUB_BUILD_TESTS=ON >"$tmp/configure.log" 2>&1 \
  || { cat "$tmp/configure.log" >&2; fail "cmake configure"; }
cmake --build "$build" >"$tmp/build.log" 2>&1 \
  || { grep -B2 -A20 -m5 'FAILED\|error' "$tmp/build.log" >&2 || tail -50 "$tmp/build.log" >&2
       fail "cmake --build"; }
say "configured and built in $((SECONDS - start)) s"
start=$SECONDS
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" >"$tmp/ctest.log" 2>&1 \
  || { cat "$tmp/ctest.log" >&2; fail "ctest"; }
grep -E "tests passed|Total Test time" "$tmp/ctest.log" >&2
say "ctest passed in $((SECONDS - start)) s"

# 2. Install, and look at what is installed.
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || fail "cmake --install"
for f in bin/torchhub bin/torchhub-python include/hub/api/hub.h include/hub/api/torch.h \
  include/hub/about/version.h include/torchhub/torchhub_python_version.h \
  lib/libtorchhub.a lib/libtorchhub_torch.a \
  lib/cmake/torchhub/torchhubConfig.cmake lib/cmake/torchhub/torchhubConfigVersion.cmake \
  lib/pkgconfig/torchhub.pc share/man/man1/torchhub.1; do
  [[ -e "$prefix/$f" ]] || fail "$f is not installed"
done
version="$(tr -d ' \n' <"$root/VERSION")"
"$prefix/bin/torchhub" --version | grep -qF "torchhub $version" \
  || fail "the installed torchhub --version does not say $version"

# A checkpoint made by Debian's torch, read by the installed torchhub through
# the installed torchhub-python beside it.
/usr/bin/python3 -c '
import collections, sys, torch
torch.save(collections.OrderedDict(weight=torch.ones(2, 3), bias=torch.zeros(3)), sys.argv[1])
' "$tmp/weights.pt" || fail "could not write a checkpoint with /usr/bin/python3's torch"
TORCH_HOME="$tmp/torch_home" "$prefix/bin/torchhub" load-state-dict "$tmp/weights.pt" \
  >"$tmp/lsd.out" 2>&1 || { cat "$tmp/lsd.out" >&2; fail "installed torchhub load-state-dict"; }
grep -q "format: zip" "$tmp/lsd.out" || { cat "$tmp/lsd.out" >&2; fail "load-state-dict output"; }
say "installed into a prefix; torchhub runs torchhub-python beside it"

# 3. A find_package(torchhub) project against the prefix.
cmake -S "$root/tests/cmake_consumer" -B "$tmp/consumer" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DTORCHHUB_CONSUMER_HUB_DIR="$tmp/hub" \
  -DTORCHHUB_CONSUMER_CHECKPOINT="$tmp/weights.pt" >"$tmp/consumer.log" 2>&1 \
  || { cat "$tmp/consumer.log" >&2; fail "configuring the consumer project"; }
cmake --build "$tmp/consumer" >"$tmp/consumer_build.log" 2>&1 \
  || { cat "$tmp/consumer_build.log" >&2; fail "building the consumer project"; }
ctest --test-dir "$tmp/consumer" --output-on-failure || fail "running the consumer project"
say "find_package(torchhub) consumer builds and runs (torchhub::hub, torchhub::torch)"

# 4. pkg-config.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046  # pkg-config's words are separate arguments
g++ "$root/tests/cmake_consumer/pkg_config_consumer.cc" -o "$tmp/pc_consumer" \
  $(pkg-config --cflags --libs torchhub) || fail "compiling with pkg-config torchhub"
"$tmp/pc_consumer" | grep -qx "torchhub $version" || fail "the pkg-config consumer's output"
say "pkg-config consumer compiles, links and runs"
