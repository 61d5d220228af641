#!/usr/bin/env bash
# The CUDA checkpoint-loading benchmark (ANCHORS.md section 3) on a machine
# without Bazel: builds hub/checkpoint and benchmarks/cuda_load with g++
# against the libtorch of the python3 there (pip's CUDA torch on the GPU
# machine), then runs benchmarks/cuda_load/compare.py, which times
# torch.load, torch.load(mmap=True), safetensors and ours in one run.
#
#   tools/gpu_benchmark.sh fetch          # here: Debian's Abseil and libarchive
#                                         # .debs into third_party/debs/ (ignored)
#   tools/gpu_benchmark.sh run [ARGS...]  # there: build, then compare.py ARGS
#                                         # (default --device cuda)
#
# The GPU machine has no network and no Debian packages: carry
# third_party/debs with the working tree (the device tool's `carry`); they are
# unpacked with dpkg -x into the build dir. Without them the system's Abseil
# and libarchive are used (a Debian machine: `run --device cpu --scale 0.01`
# checks the script itself without a GPU).
#
# Environment: PYTHON (default python3, or /usr/bin/python3 when that has
# torch), BUILD_DIR (default /tmp/torchhub-gpu-bench).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

debs=third_party/debs
case "${1:-}" in
  fetch)
    mkdir -p "$debs"
    (cd "$debs" && apt-get download libabsl-dev libabsl20220623 libarchive-dev libarchive13)
    ls -la "$debs"
    exit 0
    ;;
  run) shift ;;
  *) echo "usage: tools/gpu_benchmark.sh fetch | run [compare.py args]" >&2; exit 2 ;;
esac

python="${PYTHON:-python3}"
"$python" -c "import torch" 2>/dev/null || python=/usr/bin/python3
build="${BUILD_DIR:-/tmp/torchhub-gpu-bench}"
mkdir -p "$build"

torch_dir="$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
abi="$("$python" -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')"
includes=(-I. -I"$build/prefix/usr/include")
libdirs=(-L"$build/prefix/usr/lib/x86_64-linux-gnu" -Wl,-rpath,"$build/prefix/usr/lib/x86_64-linux-gnu")
if [[ -d "$torch_dir/include" ]]; then  # pip's torch carries its C++ side
  includes+=(-I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include")
  libdirs+=(-L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib")
  torch_lib="$torch_dir/lib"
else  # Debian's: headers in /usr/include
  includes+=(-I/usr/include/torch/csrc/api/include)
  torch_lib=/usr/lib/x86_64-linux-gnu
fi
torch_libs=(-ltorch -ltorch_cpu -lc10)
if ls "$torch_lib"/libtorch_cuda.so >/dev/null 2>&1; then
  torch_libs=(-ltorch -ltorch_cuda -ltorch_cpu -lc10_cuda -lc10)
fi

if [[ -d "$debs" ]] && ls "$debs"/*.deb >/dev/null 2>&1; then
  for d in "$debs"/*.deb; do dpkg -x "$d" "$build/prefix"; done
  absl_dir="$build/prefix/usr/lib/x86_64-linux-gnu"
else
  absl_dir=/usr/lib/x86_64-linux-gnu
fi
absl_libs=()
for so in "$absl_dir"/libabsl_*.so; do
  name="$(basename "$so" .so)"
  absl_libs+=("-l${name#lib}")
done
archive_lib=-larchive
[[ -e "$absl_dir/libarchive.so" ]] || archive_lib=-l:libarchive.so.13

sources=(hub/checkpoint/{checkpoint,format,map_location,pickle,safetensors,value}.cc
  hub/checkpoint/internal/{device_transfer,mapped_file,zip_directory}.cc
  hub/base/{errno_status,json_reader,utf8}.cc hub/fs/{files,tree_links}.cc
  hub/archive/extract.cc benchmarks/cuda_load/load_benchmark.cc)
echo "gpu_benchmark: building with torch at $torch_dir (cxx11 abi $abi)" >&2
start=$SECONDS
objects=()
for src in "${sources[@]}"; do
  obj="$build/obj/${src//\//_}.o"
  mkdir -p "$build/obj"
  g++ -O2 -std=c++17 -Wno-deprecated-declarations -D_GLIBCXX_USE_CXX11_ABI="$abi" "${includes[@]}" -c "$src" -o "$obj" &
  objects+=("$obj")
  while (($(jobs -rp | wc -l) >= $(nproc))); do sleep 0.2; done
done
wait
g++ -o "$build/load_benchmark" "${objects[@]}" "${libdirs[@]}" -Wl,--no-as-needed \
  "${torch_libs[@]}" -Wl,--as-needed "${absl_libs[@]}" "$archive_lib" -lpthread
echo "gpu_benchmark: built in $((SECONDS - start)) s" >&2

[[ $# -gt 0 ]] || set -- --device cuda
"$python" benchmarks/cuda_load/compare.py --binary "$build/load_benchmark" "$@"
