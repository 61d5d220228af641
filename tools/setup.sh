#!/usr/bin/env bash
# Installs everything torchhub-cpp needs on Debian 12 and unpacks BoringSSL's
# source. Safe to run again: it installs only what is missing and re-unpacks
# nothing that is already there.
#
#   tools/setup.sh            # packages + BoringSSL source
#   tools/setup.sh --check    # report what is missing, change nothing
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  # Build
  bazel-bootstrap bazel-rules-java default-jdk-headless g++ git dpkg-dev
  # The CMake build beside Bazel (docs/cmake.md)
  cmake ninja-build pkgconf
  # Libraries
  libtorch-dev python3-dev python3-torch python3-torchvision
  libcurl4-openssl-dev libssl-dev libgit2-dev libabsl-dev libre2-dev
  libarchive-dev libgtest-dev libgmock-dev libbenchmark-dev
  # The hubconf sandbox (hub/sandbox)
  libseccomp-dev bubblewrap
  # Test servers and fixtures
  nginx-light openssl ca-certificates zip unzip
  # Benchmarks: aria2c for benchmarks/compare_download.sh
  aria2
  # Analysis, sanitizers, fuzzing
  clang-14 clang-tidy-14 clang-format-14 libclang-rt-14-dev
  # Release: the man page (tools/man.sh); the README's charts (benchmarks/plot.py)
  help2man python3-matplotlib
)

boringssl_package=android-platform-external-boringssl
boringssl_dir="$root/third_party/boringssl/upstream"

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ "${1:-}" == "--check" ]]; then
  status=0
  if ((${#missing[@]})); then echo "missing packages: ${missing[*]}"; status=1; fi
  if [[ ! -f "$boringssl_dir/BUILD.generated.bzl" ]]; then
    echo "missing BoringSSL source in $boringssl_dir"; status=1
  fi
  exit $status
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# BoringSSL: Debian's *shared* BoringSSL crashes next to libcurl and Python's
# OpenSSL (see third_party/boringssl/boringssl.BUILD), so Bazel builds it from
# Debian's source package. apt gets the source through a private deb-src list,
# leaving the system's apt configuration untouched.
if [[ ! -f "$boringssl_dir/BUILD.generated.bzl" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial"
  # The same archive and suite as this machine's binary packages.
  uri="$(grep -rhoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -m1 -E 'debian/?$' | awk '{print $2}' || true)"
  uri="${uri:-http://deb.debian.org/debian}"
  echo "deb-src $uri bookworm main" > "$work/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
            -o "Dir::State::Lists=$work/lists" -o "Debug::NoLocking=1")
  echo "setup: fetching $boringssl_package source from $uri" >&2
  (cd "$work" && apt-get "${apt_opts[@]}" update -qq &&
     apt-get "${apt_opts[@]}" source --download-only -qq "$boringssl_package") >/dev/null 2>&1 \
    || { echo "setup: could not download $boringssl_package's source" >&2; exit 1; }
  tarball="$(ls "$work"/${boringssl_package}_*.orig.tar.* | head -n1)"
  rm -rf "$boringssl_dir.tmp"
  mkdir -p "$boringssl_dir.tmp"
  tar -xf "$tarball" -C "$boringssl_dir.tmp" --strip-components=1
  # Its own BUILD file would make it a package of this workspace's tree;
  # boringssl.BUILD replaces it.
  rm -f "$boringssl_dir.tmp/BUILD"
  rm -rf "$boringssl_dir"
  mv "$boringssl_dir.tmp" "$boringssl_dir"
fi

# buildifier (Starlark format and lint, tools/format.sh): the npm registry's
# @bazel/buildifier ships static binaries; one version, pinned, under the
# project's cache dir.
buildifier_version=8.2.1
buildifier_dir="${HOME}/.cache/torchhub-cpp/buildifier-${buildifier_version}"
case "$(uname -m)" in
  x86_64) buildifier_arch=amd64 ;;
  aarch64) buildifier_arch=arm64 ;;
  *) buildifier_arch="" ;;
esac
buildifier_bin="$buildifier_dir/node_modules/@bazel/buildifier/buildifier-linux_${buildifier_arch}"
if [[ -n "$buildifier_arch" && ! -x "$buildifier_bin" ]]; then
  if ! command -v npm >/dev/null; then
    echo "setup: installing npm (for buildifier)" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "setup: installing buildifier $buildifier_version from npm" >&2
  mkdir -p "$buildifier_dir"
  npm install --silent --no-audit --no-fund --prefix "$buildifier_dir" \
    "@bazel/buildifier@$buildifier_version" >/dev/null \
    || { echo "setup: could not install @bazel/buildifier from npm" >&2; exit 1; }
fi

echo "setup: ok" >&2
