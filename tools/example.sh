#!/usr/bin/env bash
# Sets up the machine and runs torchhub on a built-in example: a scratch hub
# dir, the repo strings of well-known hub repos, the trust list, a hostile
# string refused, downloads from a server on 127.0.0.1 (verified, resumed
# after a reset, a wrong hash refused), a hub repo fetched from a git remote,
# its hubconf listed, read and loaded (a torchvision model as TorchScript, run
# once from C++), the repo and weights pinned in a lock file (and drift
# refused), and Python's torch.hub using the same hub dir.
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

# Downloads: weights served on 127.0.0.1 by the project's test server, first
# fetched as load_state_dict_from_url would, then with a wrong hash.
scratch="$(mktemp -d)"
www="$scratch/www"
mkdir -p "$www" "$hub/checkpoints"
head -c $((8 << 20)) /dev/urandom > "$www/weights.pth"
# A real state dict (torchvision's resnet18, random weights), named as hub
# weights are: <name>-<first 8 hex of its SHA-256>.pth.
/usr/bin/python3 -c "import sys, torch, torchvision; torch.manual_seed(0); \
torch.save(torchvision.models.resnet18(weights=None).state_dict(), sys.argv[1])" "$www/r18.pth"
r18="resnet18-$(sha256sum "$www/r18.pth" | cut -c1-8).pth"
mv "$www/r18.pth" "$www/$r18"
sha="$(sha256sum "$www/weights.pth" | cut -c1-8)"
/usr/bin/python3 tests/servers/fault_server.py --root "$www" --port-file "$scratch/port" \
  --log "$scratch/requests.jsonl" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$hub" "$scratch"' EXIT
for _ in $(seq 100); do [[ -s "$scratch/port" ]] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$scratch/port")/weights.pth"
run download "$url" "$hub/checkpoints/weights-$sha.pth" --hash-prefix "$sha" --json
run download "$url?reset_after=3000000" "$hub/checkpoints/resumed.pth" --no-progress --json
run download "$url" "$hub/checkpoints/bad.pth" --hash-prefix 00000000 --no-progress
# torch.hub.load_state_dict_from_url: downloaded, checked against the hash
# in its name, loaded weights-only (no pickled code runs); then from the cache.
run load-state-dict "http://127.0.0.1:$(cat "$scratch/port")/$r18" --check-hash --no-progress \
  | sed -n '1,8p;$p'
run load-state-dict "http://127.0.0.1:$(cat "$scratch/port")/$r18" --json | cut -c1-160
printf '\n$ ls %s/checkpoints\n' "$hub"
ls "$hub/checkpoints"

# A hub repo from a git remote (a local one here; https:// and git:// work
# the same), then the cache as both sides see it.
repo="$scratch/src/demo"
mkdir -p "$repo"
cat > "$repo/hubconf.py" <<'HUBCONF'
dependencies = []

def answer(x=1):
    """Returns 42 times x."""
    return 42 * x


def tiny_resnet(num_classes=10):
    """torchvision's ResNet-18, randomly initialised (no weights download)."""
    import torch, torchvision
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None, num_classes=num_classes).eval()
HUBCONF
git -C "$repo" init -q -b main
git -C "$repo" add hubconf.py
git -C "$repo" -c user.name=example -c user.email=example@localhost commit -q -m demo
run fetch acme/demo:main --git-url "file://$repo" --trust-repo true --json
run fetch acme/demo:main --offline
run cache ls

# The hubconf through embedded Python (torchhub-python); the second list is
# answered from the entrypoint cache, without starting Python.
run list acme/demo:main --json
run list acme/demo:main --json
run help acme/demo:main tiny_resnet
run load acme/demo:main answer x=2
run load acme/demo:main tiny_resnet num_classes=5 --input 1x3x64x64 --forward \
  --save-torchscript "$scratch/tiny_resnet.pt"
run load acme/demo:main nope

# Reproducible loads: pin the repo (its commit and content) and the weights
# (their SHA-256) in a lock file; loads under it take only what it pins, and
# any drift is a clear error until the pinned commit is fetched again. A
# file:// remote is not the repo's own GitHub location: it is trusted by its
# URL (--trust-repo true records it) and needs --allow-insecure-remote, here
# from the environment, for every load the lock serves.
lock="$scratch/torchhub.lock"
export TORCHHUB_ALLOW_INSECURE_REMOTE=1
run lock --lock "$lock" acme/demo:main "http://127.0.0.1:$(cat "$scratch/port")/$r18" \
  --git-url "file://$repo" --trust-repo true
printf '\n$ cat %s\n' "$lock"
cat "$lock"
run list acme/demo:main --lock "$lock"
printf '\n$ echo "# changed" >> %s\n' "$hub/acme_demo_main/hubconf.py"
echo "# changed" >> "$hub/acme_demo_main/hubconf.py"
run list acme/demo:main --lock "$lock"
run cache verify --lock "$lock"
run fetch acme/demo:main --lock "$lock" --force-reload   # from the pinned remote
run cache verify --lock "$lock"

printf '\n$ /usr/bin/python3 (torch.hub on the same hub dir)\n'
/usr/bin/python3 - "$hub" <<'PY'
import sys
import torch.hub as hub
hub.set_dir(sys.argv[1])
print("get_dir():", hub.get_dir())
print("_parse_repo_info('pytorch/vision:v0.10.0'):", hub._parse_repo_info("pytorch/vision:v0.10.0"))
with open(hub.get_dir() + "/trusted_list") as f:
    print("trusted_list:", [line.strip() for line in f])
import glob, os
ours = glob.glob(hub.get_dir() + "/checkpoints/weights-*.pth")[0]
name = os.path.basename(ours)
print("HASH_REGEX finds in", name, ":", hub.HASH_REGEX.search(name).group(1))
print("torch.hub.list on the repo torchhub fetched:",
      hub.list("acme/demo:main", trust_repo=True, skip_validation=True))
print("torch.hub.load(..., 'answer', x=2):",
      hub.load("acme/demo:main", "answer", x=2, trust_repo=True, skip_validation=True))
import hashlib
print("sha256 of our download starts with it:",
      hashlib.sha256(open(ours, "rb").read()).hexdigest().startswith(hub.HASH_REGEX.search(name).group(1)))
PY
