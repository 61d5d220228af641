"""Which Python the build embeds: one setting, TORCHHUB_PYTHON.

    TORCHHUB_PYTHON=/usr/bin/python3            Debian's (the default)
    TORCHHUB_PYTHON=$VENV/bin/python            a virtualenv's, with its torch

The rule runs that interpreter once (sysconfig) for its headers, its
libpython and its version; libpython outside the system's library path is
linked with an rpath. It must be the Python whose `import torch` matches
TORCHHUB_LIBTORCH (third_party/libtorch/repository.bzl): torch's Python
module and the C++ code share one libtorch in one process. Set it in the
environment or a user.bazelrc (`build --repo_env=TORCHHUB_PYTHON=...`).

The repository, @torchhub_python, has :python (Python.h and -lpythonX.Y)
and :version (torchhub_python_version.h: TORCHHUB_PYTHON_VERSION "3.11.2",
TORCHHUB_PYTHON_EXECUTABLE; no Python header).
"""

_ENV = "TORCHHUB_PYTHON"

_SYSTEM_LIB_DIRS = ["/usr/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/lib", "/lib64"]

_QUERY = """
import sys, sysconfig
v = sysconfig.get_config_var
print(v("INCLUDEPY"))
print(v("LDVERSION") or v("VERSION"))
print(v("LIBDIR"))
print(sys.version.split()[0])
"""

def _python_repository_impl(rctx):
    python = rctx.os.environ.get(_ENV, "") or rctx.attr.python
    result = rctx.execute([python, "-c", _QUERY])
    if result.return_code != 0:
        fail("%s=%s: running it failed (%s). Name a CPython 3 interpreter, e.g. /usr/bin/python3" %
             (_ENV, python, result.stderr.strip() or "exit %d" % result.return_code))
    lines = result.stdout.strip().splitlines()
    if len(lines) != 4:
        fail("%s=%s: unexpected sysconfig answer %r" % (_ENV, python, result.stdout))
    include_dir, ld_version, lib_dir, version = lines
    if not rctx.path(include_dir + "/Python.h").exists:
        fail(("%s=%s: no Python.h in %s. Install its development headers " +
              "(Debian: python3-dev)") % (_ENV, python, include_dir))
    rctx.symlink(include_dir, "include")
    search = []
    if lib_dir not in _SYSTEM_LIB_DIRS:
        search = ["-L" + lib_dir, "-Wl,-rpath," + lib_dir]
    rctx.file("torchhub_python_version.h", """\
// Written by @torchhub_python's repository rule: the Python this build embeds.
#ifndef TORCHHUB_PYTHON_VERSION_H_
#define TORCHHUB_PYTHON_VERSION_H_
#define TORCHHUB_PYTHON_VERSION "{version}"
#define TORCHHUB_PYTHON_EXECUTABLE "{python}"
#endif  // TORCHHUB_PYTHON_VERSION_H_
""".format(version = version, python = python))
    rctx.file("BUILD.bazel", """\
# Written by @torchhub_python's repository rule for {python} (Python {version}).
load("@rules_cc//cc:defs.bzl", "cc_library")

package(default_visibility = ["//visibility:public"])

cc_library(
    name = "python",
    hdrs = glob(["include/**/*.h"]),
    includes = ["include"],
    linkopts = {search} + [
        "-lpython{ld_version}",
        "-ldl",
        "-lm",
    ],
)

cc_library(
    name = "version",
    hdrs = ["torchhub_python_version.h"],
    includes = ["."],
)
""".format(python = python, version = version, search = repr(search), ld_version = ld_version))

torchhub_python_repository = repository_rule(
    implementation = _python_repository_impl,
    attrs = {
        "python": attr.string(
            default = "/usr/bin/python3",
            doc = "the interpreter when TORCHHUB_PYTHON is unset",
        ),
    },
    environ = [_ENV],
    local = True,
    doc = "@torchhub_python: the CPython at $TORCHHUB_PYTHON (default /usr/bin/python3).",
)
