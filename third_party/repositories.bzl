"""External repositories for torchhub-cpp, all local to a Debian 12 machine.

Nothing here downloads: Debian's packages (installed by tools/setup.sh) supply
every library, and BoringSSL's source is unpacked by that script from Debian's
source package into an ignored directory. The build therefore works offline
with Debian's Bazel 4.

A monorepo that depends on torchhub-cpp calls, from its WORKSPACE:

    local_repository(name = "torchhub_cpp", path = "third_party/torchhub-cpp")
    load("@torchhub_cpp//third_party:repositories.bzl", "torchhub_cpp_dependencies")
    torchhub_cpp_dependencies(path = "third_party/torchhub-cpp")

Repositories the caller already declared (say its own @rules_cc) are kept.
"""

load("//third_party/libtorch:repository.bzl", "torchhub_libtorch_repository")
load("//third_party/python:repository.bzl", "torchhub_python_repository")

def _maybe(rule, name, **kwargs):
    if name not in native.existing_rules():
        rule(name = name, **kwargs)

def _build_file(label):
    return str(Label(label))

def torchhub_cpp_dependencies(path = "."):
    """Declares every external repository torchhub-cpp builds against.

    Args:
      path: where torchhub-cpp's checkout is, relative to the calling
        workspace's root (or absolute). "." for torchhub-cpp itself.
    """

    # Bazel 4 wants @rules_cc, @rules_java and @remote_coverage_tools and would
    # otherwise download them; these local stand-ins keep the build offline.
    # BUILD files load cc_* and sh_* from @rules_cc and @rules_shell (native
    # rules are gone in Bazel 9); here both forward to Bazel 4's natives.
    _maybe(
        native.local_repository,
        name = "rules_cc",
        path = path + "/third_party/rules_cc",
    )
    _maybe(
        native.local_repository,
        name = "rules_shell",
        path = path + "/third_party/rules_shell",
    )
    _maybe(
        native.local_repository,
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
    )
    _maybe(
        native.local_repository,
        name = "remote_coverage_tools",
        path = path + "/third_party/remote_coverage_tools",
    )

    # libtorch and the Python embedded beside it: Debian's unless
    # TORCHHUB_LIBTORCH / TORCHHUB_PYTHON name others (a pip wheel's torch/,
    # a libtorch zip, a virtualenv's python); see their repository.bzl.
    _maybe(torchhub_libtorch_repository, name = "torchhub_libtorch")
    _maybe(torchhub_python_repository, name = "torchhub_python")

    # BoringSSL, built by Bazel as a static library with hidden symbols.
    _maybe(
        native.new_local_repository,
        name = "boringssl",
        path = path + "/third_party/boringssl/upstream",
        build_file = _build_file("//third_party/boringssl:boringssl.BUILD"),
    )
