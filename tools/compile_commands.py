#!/usr/bin/env python3
"""Writes compile_commands.json for torchhub-cpp's own sources, from Bazel.

Usage (from the workspace root, after `bazel build //...`):
    tools/compile_commands.py [bazel flags...]

It asks `bazel aquery` for every C++ compile action of //... and writes the
commands, with the execution root as their directory, so that clang-tidy and
clangd see exactly what Bazel compiles. gcc-only flags are dropped so that
clang's tools accept the commands. Standard library only.
"""

import json
import os
import subprocess
import sys

# Flags of Bazel's gcc toolchain that clang does not know.
_GCC_ONLY = {
    "-fno-canonical-system-headers",
    "-Wunused-but-set-parameter",
    "-Wno-free-nonheap-object",
}


def _bazel(args):
    result = subprocess.run(["bazel"] + args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        sys.exit(f"bazel {' '.join(args)} failed")
    return result.stdout


def main(argv):
    bazel_flags = argv[1:]
    execroot = _bazel(["info"] + bazel_flags + ["execution_root"]).strip()
    out = _bazel(["aquery", "--output=jsonproto", "--include_artifacts=false"]
                 + bazel_flags + ['mnemonic("CppCompile", //...)'])
    actions = json.loads(out).get("actions", [])
    commands = []
    seen = set()
    for action in actions:
        args = [a for a in action["arguments"] if a not in _GCC_ONLY]
        source = args[args.index("-c") + 1]
        if source.startswith(("external/", "bazel-out/")) or source in seen:
            continue
        seen.add(source)
        commands.append({
            "directory": execroot,
            "file": source,
            "arguments": args,
        })
    commands.sort(key=lambda c: c["file"])
    with open("compile_commands.json", "w") as f:
        json.dump(commands, f, indent=1)
    print(f"compile_commands.json: {len(commands)} files", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
