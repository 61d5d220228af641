#!/usr/bin/env bash
# Sets up the machine and runs torchhub on a built-in example: a scratch hub
# dir, the repo strings of well-known hub repos, the trust list, a hostile
# string refused, and Python's torch.hub asked the same questions.
#
#   tools/example.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tools/setup.sh
bazel build --config=ci -c opt //hub/cli:torchhub >&2
torchhub="$(bazel info --config=ci -c opt bazel-bin 2>/dev/null)/hub/cli/torchhub"

hub="$(mktemp -d)"
trap 'rm -rf "$hub"' EXIT
run() {
  printf '\n$ torchhub %s\n' "$*"
  "$torchhub" --hub-dir "$hub" "$@" 2>&1 || echo "(exit $?)"
}

run dir
run parse pytorch/vision:v0.10.0
run parse ailzhang/torchhub_example:ci/test_slash --json
run parse huggingface/pytorch-transformers
run trust check pytorch/vision:v0.10.0
run trust check ultralytics/yolov5
run trust add ultralytics/yolov5
run trust check ultralytics/yolov5
run trust list --json
run parse 'pytorch/vision:../../etc'

printf '\n$ /usr/bin/python3 (torch.hub on the same hub dir)\n'
/usr/bin/python3 - "$hub" <<'PY'
import sys
import torch.hub as hub
hub.set_dir(sys.argv[1])
print("get_dir():", hub.get_dir())
print("_parse_repo_info('pytorch/vision:v0.10.0'):", hub._parse_repo_info("pytorch/vision:v0.10.0"))
with open(hub.get_dir() + "/trusted_list") as f:
    print("trusted_list:", [line.strip() for line in f])
PY
