"""Which libtorch the Bazel build compiles and links against: one setting.

    TORCHHUB_LIBTORCH=/usr                      Debian's libtorch-dev (the default)
    TORCHHUB_LIBTORCH=$VENV/lib/python3.11/site-packages/torch   a pip wheel's torch/
    TORCHHUB_LIBTORCH=$HOME/libtorch            an unpacked libtorch zip

Each of these has `include/torch/script.h`; the wheel and the zip keep their
libraries in `lib/` (linked with an rpath, so binaries find them), Debian in
the system's library path. Set the variable in the environment or in a
user.bazelrc (`build --repo_env=TORCHHUB_LIBTORCH=...`); Bazel re-runs this
rule when it changes. The matching Python is TORCHHUB_PYTHON
(third_party/python/repository.bzl). Under Bzlmod, bazel/extensions.bzl's
`libtorch` extension passes `path` instead.

The repository it makes, @torchhub_libtorch, has:
  :libtorch      headers (torch/script.h, torch/torch.h) and -ltorch -ltorch_cpu -lc10
  :torch_python  -ltorch_python, for tensors crossing from embedded Python
  :version       torchhub_libtorch_version.h: TORCHHUB_LIBTORCH_VERSION ("1.13.0"),
                 TORCHHUB_LIBTORCH_ROOT; no libtorch header, so light code
                 (`torchhub env`) can say what the build used
  torch_version.h (in :libtorch) gives TORCH_VERSION_MAJOR and _MINOR from
  torch/version.h, or, where a libtorch ships none (Debian's 1.13), from what
  this rule found.

A libtorch built with the pre-C++11 string ABI (_GLIBCXX_USE_CXX11_ABI=0:
older pip wheels and the "pre-cxx11" zips) is refused: the rest of the build
(Debian's Abseil) uses the C++11 ABI, and mixing them fails at link time.
"""

_ENV = "TORCHHUB_LIBTORCH"

# Where the headers live in every layout, and what marks a libtorch.
_MARKER = "include/torch/script.h"
_API = "include/torch/csrc/api/include"

def _read_if_exists(rctx, path):
    p = rctx.path(path)
    return rctx.read(p) if p.exists else ""

def _define_value(text, name):
    """The token after `#define NAME` in `text`, or None."""
    for line in text.splitlines():
        words = line.strip().split()
        if len(words) >= 3 and words[0] == "#define" and words[1] == name:
            return words[2].strip('"')
    return None

def _cmake_version(text):
    """PACKAGE_VERSION from a TorchConfigVersion.cmake, or None."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("set(PACKAGE_VERSION "):
            return line[len("set(PACKAGE_VERSION "):].strip(" )\"")
    return None

def _libtorch_repository_impl(rctx):
    root = rctx.os.environ.get(_ENV, "") or rctx.attr.path
    root = root.rstrip("/") or "/"
    if not rctx.path(root + "/" + _MARKER).exists:
        fail(("%s=%s: no %s there. Point it at a libtorch's root: /usr (Debian's " +
              "libtorch-dev), a pip wheel's torch/ directory (python3 -c 'import torch, os; " +
              "print(os.path.dirname(torch.__file__))'), or an unpacked libtorch zip") %
             (_ENV, root, _MARKER))
    system = root in ("/usr", "/usr/local")

    if system:
        # /usr/include is already on the compiler's path; only the C++
        # frontend's headers are not.
        rctx.symlink(root + "/" + _API, "api")
        includes = ["api"]
        lib_dir = None
        cmake_dirs = [root + "/lib/x86_64-linux-gnu/cmake", root + "/lib/cmake", root + "/share/cmake"]
    else:
        rctx.symlink(root + "/include", "include")
        includes = ["include", "include/torch/csrc/api/include"]
        lib_dir = root + "/lib"
        if not rctx.path(lib_dir + "/libtorch.so").exists:
            fail("%s=%s: no lib/libtorch.so there; a wheel's torch/ and a libtorch zip have one" %
                 (_ENV, root))
        cmake_dirs = [root + "/share/cmake"]

    version = _define_value(_read_if_exists(rctx, root + "/include/torch/version.h"), "TORCH_VERSION")
    abi_text = ""
    for d in cmake_dirs:
        if not version:
            version = _cmake_version(_read_if_exists(rctx, d + "/Torch/TorchConfigVersion.cmake"))
        abi_text += _read_if_exists(rctx, d + "/Torch/TorchConfig.cmake")
    if "_GLIBCXX_USE_CXX11_ABI=0" in abi_text:
        fail(("%s=%s is built with the pre-C++11 string ABI (_GLIBCXX_USE_CXX11_ABI=0); " +
              "this build's other libraries use the C++11 ABI. Use a cxx11-ABI libtorch " +
              "(the \"cxx11 ABI\" zip, or a wheel of torch 2.7 or newer)") % (_ENV, root))
    if not version:
        fail(("%s=%s: cannot tell libtorch's version (no include/torch/version.h and no " +
              "Torch/TorchConfigVersion.cmake)") % (_ENV, root))
    numbers = version.split("+")[0].split(".")
    major = numbers[0]
    minor = numbers[1] if len(numbers) > 1 else "0"
    if not major.isdigit() or not minor.isdigit():
        fail("%s=%s: libtorch's version %r is not MAJOR.MINOR[...]" % (_ENV, root, version))

    rctx.file("torchhub_libtorch_version.h", """\
// Written by @torchhub_libtorch's repository rule: the libtorch this build used.
#ifndef TORCHHUB_LIBTORCH_VERSION_H_
#define TORCHHUB_LIBTORCH_VERSION_H_
#define TORCHHUB_LIBTORCH_VERSION "{version}"
#define TORCHHUB_LIBTORCH_ROOT "{root}"
#endif  // TORCHHUB_LIBTORCH_VERSION_H_
""".format(version = version, root = root))
    rctx.file("torch_version.h", """\
// TORCH_VERSION_MAJOR and TORCH_VERSION_MINOR, also for a libtorch without
// torch/version.h (Debian's 1.13). Written by @torchhub_libtorch's rule.
#ifndef TORCHHUB_TORCH_VERSION_H_
#define TORCHHUB_TORCH_VERSION_H_
#if __has_include(<torch/version.h>)
#include <torch/version.h>
#else
#define TORCH_VERSION_MAJOR {major}
#define TORCH_VERSION_MINOR {minor}
#endif
#endif  // TORCHHUB_TORCH_VERSION_H_
""".format(major = major, minor = minor))

    search = []
    if lib_dir:
        search = ["-L" + lib_dir, "-Wl,-rpath," + lib_dir]
    rctx.file("BUILD.bazel", """\
# Written by @torchhub_libtorch's repository rule for {root} (libtorch {version}).
load("@rules_cc//cc:defs.bzl", "cc_library")

package(default_visibility = ["//visibility:public"])

cc_library(
    name = "libtorch",
    hdrs = glob([d + "/**/*.h" for d in {includes}]) + ["torch_version.h"],
    includes = {includes} + ["."],
    linkopts = {search} + [
        # Operators register themselves from static initialisers: keep the
        # libraries even when no symbol of theirs is referenced directly.
        "-Wl,--push-state,--no-as-needed",
        "-ltorch",
        "-ltorch_cpu",
        "-lc10",
        "-Wl,--pop-state",
    ],
)

cc_library(
    name = "torch_python",
    linkopts = {search} + ["-ltorch_python"],
    deps = [":libtorch"],
)

cc_library(
    name = "version",
    hdrs = ["torchhub_libtorch_version.h"],
    includes = ["."],
)
""".format(root = root, version = version, includes = repr(includes), search = repr(search)))

torchhub_libtorch_repository = repository_rule(
    implementation = _libtorch_repository_impl,
    attrs = {
        "path": attr.string(
            default = "/usr",
            doc = "libtorch's root when TORCHHUB_LIBTORCH is unset",
        ),
    },
    environ = [_ENV],
    local = True,
    doc = "@torchhub_libtorch: the libtorch at $TORCHHUB_LIBTORCH (default /usr).",
)
