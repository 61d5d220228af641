"""Where //third_party's libraries come from: the system, or Bzlmod modules.

Under WORKSPACE (Bazel 4 here, and Bazel 5-7 with --noenable_bzlmod) each
//third_party target links Debian's library (tools/setup.sh installs it).
Under Bzlmod (Bazel 7-9) the same target instead depends on the Bazel
Central Registry module MODULE.bazel declares, so a consumer's build needs no
system -dev packages for these; libtorch and CPython still come from the
`libtorch` module extension, and libseccomp from the system.

The choice is made when the BUILD file is loaded, not with select(): a
select() branch naming @abseil-cpp would make Bazel 4 (which has no such
repository) fail `bazel query deps(...)`. Under Bzlmod every label in a .bzl
file is canonical and prints with "@@" (rules_go and rules_python detect
Bzlmod the same way).

UNTESTED under Bzlmod: no Bazel newer than 4.2.3 was available where this
was written. The module targets were read from the Bazel Central Registry's
files (abseil-cpp, re2, googletest, google_benchmark, curl 8.22.0's overlay,
libgit2 1.9's overlay, libarchive); code that compiles against Debian's
Abseil 20220623 may need changes for a 2026 LTS (absl::string_view is
std::string_view there).
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

BZLMOD_ENABLED = "@@" in str(Label("//:unused"))

def system_or_module_library(name, module_deps, **kwargs):
    """A cc_library: `kwargs` (the system library) or `module_deps` (Bzlmod).

    Args:
      name: the target's name.
      module_deps: the Bazel Central Registry targets that stand for the
        system library under Bzlmod.
      **kwargs: the cc_library attributes for the system library (linkopts,
        deps, ...); `testonly` and `visibility` apply to both.
    """
    if BZLMOD_ENABLED:
        cc_library(
            name = name,
            deps = module_deps,
            testonly = kwargs.get("testonly"),
            visibility = kwargs.get("visibility"),
        )
    else:
        cc_library(name = name, **kwargs)
