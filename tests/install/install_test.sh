#!/usr/bin/env bash
# `bazel run //:install -- PREFIX` lays out a working install: both binaries
# side by side (torchhub finds torchhub-python there and runs a hubconf with
# it), the man page, the bash completion, the licence; a second install over
# the first works; a bad call says how to use it.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

install_bin="$PWD/install"
[[ -x "$install_bin" ]] || fail "no //:install in the runfiles ($PWD)"
prefix="$TEST_TMPDIR/prefix with space"

"$install_bin" "$prefix" 2>"$TEST_TMPDIR/log" || { cat "$TEST_TMPDIR/log" >&2; fail "install"; }
for f in bin/torchhub bin/torchhub-python share/man/man1/torchhub.1 \
  share/bash-completion/completions/torchhub share/doc/torchhub/LICENSE; do
  [[ -s "$prefix/$f" ]] || fail "$f not installed"
done
[[ -x "$prefix/bin/torchhub" && -x "$prefix/bin/torchhub-python" ]] || fail "binaries not executable"
grep -q '^\.TH TORCHHUB "1"' "$prefix/share/man/man1/torchhub.1" || fail "not a man page"
grep -q 'complete -F _torchhub' "$prefix/share/bash-completion/completions/torchhub" ||
  fail "not a completion script"
ls "$prefix/bin" | grep -q 'tmp' && fail "a temporary file was left in bin/"

# The installed torchhub runs the installed torchhub-python: a hubconf is
# listed through embedded Python with nothing of the build tree around.
repo="$TEST_TMPDIR/repo"
mkdir -p "$repo"
printf 'dependencies = []\n\ndef tiny():\n    """A tiny model."""\n    return 1\n' >"$repo/hubconf.py"
out="$(env -i HOME="$TEST_TMPDIR/home" PATH=/usr/bin:/bin "$prefix/bin/torchhub" \
  list "$repo" --source local 2>&1)" || fail "installed torchhub list: $out"
[[ "$out" == "tiny" ]] || fail "installed torchhub list printed '$out'"

# torchhub-python missing beside it: a clear error, not a crash (a fresh
# hub dir, so the answer isn't in the entrypoint cache, which torchhub reads
# without Python).
mv "$prefix/bin/torchhub-python" "$TEST_TMPDIR/moved"
if out="$(env -i HOME="$TEST_TMPDIR/home2" PATH=/usr/bin:/bin "$prefix/bin/torchhub" \
  list "$repo" --source local 2>&1)"; then
  fail "list without torchhub-python succeeded: $out"
fi
grep -q 'torchhub-python' <<<"$out" || fail "the error does not name torchhub-python: $out"

# Installing again over an existing install replaces it.
"$install_bin" "$prefix" 2>/dev/null || fail "second install"
[[ -x "$prefix/bin/torchhub-python" ]] || fail "second install did not restore torchhub-python"

# Usage errors.
if "$install_bin" 2>"$TEST_TMPDIR/err"; then fail "install with no prefix succeeded"; fi
grep -q 'usage: bazel run //:install -- PREFIX' "$TEST_TMPDIR/err" || fail "no usage line"
echo PASS
