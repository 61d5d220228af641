#!/usr/bin/env python3
"""Writes the CMake build's targets from the Bazel BUILD files.

The BUILD files are the one list of targets, sources and dependencies; the
CMake build never repeats them (tensorstore's bazel_to_cmake is the model).
CMakeLists.txt runs this at configure time and includes what it writes:

    python3 cmake/bazel_to_cmake.py --root SRC --out BUILD/torchhub_targets.cmake

It evaluates each BUILD.bazel under hub/, tests/ (except the separate
tests/bazel_consumer workspace), tools/fuzzing and examples as Python, with the
project's macros (bazel/hub.bzl) standing in as functions that record a
target, and emits one call per target to the functions in
cmake/TorchhubTargets.cmake:

    hub_cc_library   -> torchhub_cc_library   (an OBJECT library, or INTERFACE
                                                without sources)
    hub_cc_binary    -> torchhub_cc_binary
    hub_cc_test      -> torchhub_cc_test       (a ctest test)
    hub_cc_benchmark -> its binary and its _smoke_test
    hub_cc_fuzzer    -> its corpus replay test
    genrule          -> torchhub_genrule       (the same shell command)

A label becomes a CMake target name by one rule: "//hub/base:json" ->
"hub_base_json", "//third_party/absl" -> "third_party_absl_absl". The
third_party targets are written by hand in cmake/ThirdParty.cmake, one per
dependency as third_party/*/BUILD.bazel has them. Executables list every
first-party library they need, directly (CMake links an OBJECT library's
objects only into targets that name it).

The warnings (HUB_COPTS) are read from bazel/hub.bzl too.

It fails when a BUILD file uses a rule or an attribute this translation does
not know, instead of dropping it silently; without --out it only checks that
(tools/check_cmake.sh).
"""

import argparse
import os
import pathlib
import re
import sys

# Rules and attributes understood; anything else is an error, so that a new
# BUILD construct cannot be silently left out of the CMake build.
_LIBRARY_ATTRS = {"name", "srcs", "hdrs", "deps", "testonly", "visibility", "data",
                  "copts", "textual_hdrs", "defines", "alwayslink"}
_BINARY_ATTRS = {"name", "srcs", "deps", "testonly", "visibility", "data", "copts",
                 "args"}
_TEST_ATTRS = {"name", "size", "srcs", "deps", "data", "tags", "env", "args", "copts",
               "gtest_main", "visibility"}
_BENCHMARK_ATTRS = {"name", "srcs", "deps", "data", "args", "smoke_args", "smoke_size",
                    "tags", "copts"}
_FUZZER_ATTRS = {"name", "srcs", "deps", "corpus", "tags", "copts"}
_GENRULE_ATTRS = {"name", "srcs", "outs", "cmd", "visibility", "testonly"}

# Packages that are not first-party code: their targets are cmake/ThirdParty.cmake's.
_EXTERNAL_PREFIXES = ("third_party/",)

# Timeouts for ctest, from Bazel's test sizes.
_TIMEOUTS = {"small": 60, "medium": 300, "large": 900, "enormous": 3600}


class BuildError(Exception):
    pass


class Target:
    def __init__(self, kind, package, name, attrs):
        self.kind = kind
        self.package = package
        self.name = name
        self.attrs = attrs
        self.native = False

    @property
    def label(self):
        return "//%s:%s" % (self.package, self.name)


def cmake_name(label):
    """'//hub/base:json' -> 'hub_base_json'; the one naming rule."""
    package, name = split_label(label, "")
    return re.sub(r"[^A-Za-z0-9_]", "_", (package + "_" + name) if package else name)


def split_label(label, package):
    """Resolves a label relative to `package`: returns (package, name)."""
    if label.startswith("@"):
        raise BuildError("external label %s: map it in cmake/ThirdParty.cmake" % label)
    if label.startswith("//"):
        body = label[2:]
        if ":" in body:
            pkg, name = body.split(":", 1)
        else:
            pkg, name = body, body.rsplit("/", 1)[-1]
        return pkg, name
    if label.startswith(":"):
        return package, label[1:]
    return package, label


class Workspace:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.targets = {}  # label -> Target
        self.packages = []
        self.hub_copts = []

    # --- loading -------------------------------------------------------------

    def load_hub_copts(self):
        text = (self.root / "bazel/hub.bzl").read_text()
        match = re.search(r"^HUB_COPTS = (\[.*?^\])", text, re.S | re.M)
        if not match:
            raise BuildError("bazel/hub.bzl: no HUB_COPTS = [...] list")
        self.hub_copts = eval(match.group(1), {"__builtins__": {}})  # pylint: disable=eval-used

    def load_package(self, package):
        path = self.root / package / "BUILD.bazel"
        self.packages.append(package)
        ws = self

        def add(kind, allowed, native=False, **kwargs):
            unknown = set(kwargs) - allowed
            if unknown:
                raise BuildError("%s: %s %s: attributes %s are not translated to CMake; "
                                 "teach cmake/bazel_to_cmake.py" %
                                 (path, kind, kwargs.get("name"), sorted(unknown)))
            target = Target(kind, package, kwargs["name"], kwargs)
            target.native = native
            if target.label in ws.targets:
                raise BuildError("%s: %s defined twice" % (path, target.label))
            ws.targets[target.label] = target

        def glob(patterns, exclude=()):
            base = self.root / package
            found = set()
            for pattern in patterns:
                for p in base.glob(pattern):
                    if p.is_file():
                        found.add(str(p.relative_to(base)))
            for pattern in exclude:
                found -= {str(p.relative_to(base)) for p in base.glob(pattern)}
            return sorted(found)

        def select(choices):
            # The CMake build has one configuration; conditions it needs
            # (crypto backend, libFuzzer) are CMake options instead.
            return choices.get("//conditions:default", [])

        def unsupported(rule):
            def fail(*_args, **kwargs):
                raise BuildError("%s: %s(%s) has no CMake translation; teach "
                                 "cmake/bazel_to_cmake.py or keep it out of the "
                                 "packages it reads" % (path, rule, kwargs.get("name", "")))
            return fail

        env = {
            "load": lambda *args, **kwargs: None,
            "package": lambda **kwargs: None,
            "licenses": lambda *args: None,
            "exports_files": lambda *args, **kwargs: None,
            "package_group": lambda **kwargs: None,
            "glob": glob,
            "select": select,
            "hub_cc_library": lambda **kw: add("library", _LIBRARY_ATTRS, **kw),
            "cc_library": lambda **kw: add("library", _LIBRARY_ATTRS, native=True, **kw),
            "hub_cc_binary": lambda **kw: add("binary", _BINARY_ATTRS, **kw),
            "hub_cc_test": lambda **kw: add("test", _TEST_ATTRS, **kw),
            "hub_cc_benchmark": lambda **kw: add("benchmark", _BENCHMARK_ATTRS, **kw),
            "hub_cc_fuzzer": lambda **kw: add("fuzzer", _FUZZER_ATTRS, **kw),
            "genrule": lambda **kw: add("genrule", _GENRULE_ATTRS, **kw),
        }
        for rule in ["cc_binary", "cc_test", "sh_test", "sh_binary", "py_test", "filegroup",
                     "alias", "config_setting", "test_suite"]:
            env.setdefault(rule, unsupported(rule))
        code = compile(path.read_text(), str(path), "exec")
        exec(code, env)  # pylint: disable=exec-used

    def load_all(self):
        self.load_hub_copts()
        builds = sorted(self.root.glob("hub/**/BUILD.bazel"))
        builds += sorted(self.root.glob("tests/*/BUILD.bazel"))
        builds.append(self.root / "tools/fuzzing/BUILD.bazel")
        builds.append(self.root / "examples/BUILD.bazel")
        for build in builds:
            package = str(build.parent.relative_to(self.root))
            if package.startswith("tests/bazel_consumer"):
                continue  # another workspace, built by tests/bazel_consumer/run.sh
            if package == "tests/install":
                continue  # //:install, the Bazel build's own counterpart of cmake --install
            self.load_package(package)

    # --- resolution ----------------------------------------------------------

    def resolve(self, label, package):
        """('target', Target), ('external', cmake name) or ('file', path)."""
        pkg, name = split_label(label, package)
        full = "//%s:%s" % (pkg, name)
        if full in self.targets:
            return "target", self.targets[full]
        if pkg.startswith(_EXTERNAL_PREFIXES):
            return "external", cmake_name(full)
        path = pathlib.Path(pkg) / name
        if (self.root / path).exists():
            return "file", str(path)
        raise BuildError("%s (in //%s): neither a target of the packages read nor a file" %
                         (label, package))

    def files_of(self, labels, package):
        """Source paths (relative to the root) and genrule outputs (build-relative)."""
        sources, generated = [], []
        for label in labels:
            kind, what = self.resolve(label, package)
            if kind == "file":
                sources.append(what)
            elif kind == "target" and what.kind == "genrule":
                generated += ["%s/%s" % (what.package, out) for out in what.attrs["outs"]]
            else:
                raise BuildError("%s in //%s is used as a file" % (label, package))
        return sources, generated

    def deps_of(self, target):
        first_party, external = [], []
        for label in target.attrs.get("deps", []):
            kind, what = self.resolve(label, target.package)
            if kind == "target":
                first_party.append(what)
            elif kind == "external":
                external.append(what)
            else:
                raise BuildError("%s: dep %s is a file" % (target.label, label))
        return first_party, external

    def closure(self, targets):
        """Every first-party library reachable from `targets`, dependencies first."""
        seen, order = set(), []

        def visit(t):
            if t.label in seen:
                return
            seen.add(t.label)
            for dep in self.deps_of(t)[0]:
                visit(dep)
            order.append(t)

        for t in targets:
            visit(t)
        return order

    def genrules_needed(self, libs):
        """The genrule targets whose outputs the libraries `libs` compile or include."""
        names = []
        for lib in libs:
            for attr in ("srcs", "hdrs"):
                for label in lib.attrs.get(attr, []):
                    kind, what = self.resolve(label, lib.package)
                    if kind == "target" and what.kind == "genrule":
                        names.append(cmake_name(what.label))
        return sorted(set(names))


def cmake_list(items):
    return " ".join('"%s"' % i.replace("\\", "\\\\").replace('"', '\\"') for i in items)


def translate_genrule_cmd(ws, target):
    """Bazel's genrule cmd as a bash script: $< $@ $(SRCS) $(OUTS) $$."""
    srcs, generated = ws.files_of(target.attrs.get("srcs", []), target.package)
    if generated:
        raise BuildError("%s: genrule inputs from other genrules" % target.label)
    outs = ["%s/%s" % (target.package, o) for o in target.attrs["outs"]]
    cmd = target.attrs["cmd"]
    if "$(location" in cmd or "$(execpath" in cmd:
        raise BuildError("%s: $(location) in a genrule is not translated" % target.label)
    placeholder = "\x00DOLLAR\x00"
    cmd = cmd.replace("$$", placeholder)
    src_paths = ['"${TORCHHUB_SOURCE_DIR}/%s"' % s for s in srcs]
    out_paths = ['"${TORCHHUB_BINARY_DIR}/%s"' % o for o in outs]
    cmd = cmd.replace("$(SRCS)", " ".join(src_paths)).replace("$(OUTS)", " ".join(out_paths))
    if "$<" in cmd:
        if len(srcs) != 1:
            raise BuildError("%s: $< with %d srcs" % (target.label, len(srcs)))
        cmd = cmd.replace("$<", src_paths[0])
    if "$@" in cmd:
        if len(outs) != 1:
            raise BuildError("%s: $@ with %d outs" % (target.label, len(outs)))
        cmd = cmd.replace("$@", out_paths[0])
    cmd = cmd.replace(placeholder, "$")
    script = ("#!/usr/bin/env bash\n# %s, from //%s/BUILD.bazel by cmake/bazel_to_cmake.py.\n"
              "set -euo pipefail\nTORCHHUB_SOURCE_DIR=\"$1\"\nTORCHHUB_BINARY_DIR=\"$2\"\n"
              "mkdir -p \"$TORCHHUB_BINARY_DIR/%s\"\n%s\n" %
              (target.label, target.package, target.package, cmd))
    return srcs, outs, script


def emit(ws, out_path):
    out = pathlib.Path(out_path)
    gen_dir = out.parent / "genrules"
    gen_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by cmake/bazel_to_cmake.py from the BUILD files. Do not edit:",
        "# change the BUILD.bazel files, and CMake re-runs it.",
        "set(TORCHHUB_HUB_COPTS %s)" % cmake_list(ws.hub_copts),
        "set(TORCHHUB_BUILD_FILES %s)" % cmake_list(
            ["%s/BUILD.bazel" % p for p in ws.packages] +
            ["bazel/hub.bzl", "third_party/boringssl/boringssl.BUILD"]),
        "",
    ]

    def library_call(name, target, srcs, hdrs, generated, first_party, external,
                     testonly, copts):
        needed = ws.genrules_needed(ws.closure([target]))
        return [
            "torchhub_cc_library(%s" % name,
            "  PACKAGE %s" % target.package,
            "  SRCS %s" % cmake_list(srcs),
            "  HDRS %s" % cmake_list(hdrs),
            "  GENERATED %s" % cmake_list(generated),
            "  DEPS %s" % cmake_list([cmake_name(d.label) for d in first_party] + external),
            "  GENRULES %s" % cmake_list(needed),
            "  COPTS %s" % cmake_list(copts),
            "  TESTONLY %s" % ("ON" if testonly else "OFF"),
            ")",
        ]

    def executable_lines(kind, name, target, srcs, libs, external, testonly, extra):
        closure = ws.closure(libs)
        objects = [cmake_name(t.label) for t in closure]
        ext = list(external)
        for t in closure:
            ext += ws.deps_of(t)[1]
        ext = list(dict.fromkeys(ext))
        return [
            "%s(%s" % (kind, name),
            "  PACKAGE %s" % target.package,
            "  SRCS %s" % cmake_list(srcs),
            "  LIBS %s" % cmake_list(objects),
            "  EXTERNAL %s" % cmake_list(ext),
            "  GENRULES %s" % cmake_list(ws.genrules_needed(closure)),
            "  TESTONLY %s" % ("ON" if testonly else "OFF"),
        ] + list(extra) + [")"]

    def data_of(target):
        files, binaries = [], []
        for label in target.attrs.get("data", []):
            kind, what = ws.resolve(label, target.package)
            if kind == "file":
                files.append(what)
            elif kind == "target" and what.kind == "binary":
                binaries.append(cmake_name(what.label))
            elif kind == "target" and what.kind == "library":
                f, b = data_of(what)
                files += f
                binaries += b
            else:
                raise BuildError("%s: data %s is not a file or binary" % (target.label, label))
        return files, binaries

    def test_data(target, libs):
        files, binaries = data_of(target)
        for lib in ws.closure(libs):
            f, b = data_of(lib)
            files += f
            binaries += b
        return sorted(set(files)), sorted(set(binaries))

    # Genrules first, then every library before the targets that use it;
    # benchmarks and fuzzers last (their libraries use //tools/fuzzing, and
    # nothing uses them).
    everything = [t for _, t in sorted(ws.targets.items())]
    leaves = [t for t in everything if t.kind in ("benchmark", "fuzzer")]
    ordered = [t for t in everything if t.kind == "genrule"] + ws.closure(
        [t for t in everything if t.kind not in ("genrule", "benchmark", "fuzzer")]) + leaves
    for t in ordered:
        label = t.label
        a = t.attrs
        name = cmake_name(label)
        lines.append("# %s (%s)" % (label, t.kind))
        if t.kind == "genrule":
            srcs, outs, script = translate_genrule_cmd(ws, t)
            script_path = gen_dir / (name + ".sh")
            write_if_changed(script_path, script)
            lines += [
                "torchhub_genrule(%s" % name,
                "  SCRIPT \"%s\"" % script_path,
                "  SRCS %s" % cmake_list(srcs),
                "  OUTS %s" % cmake_list(outs),
                ")",
            ]
        elif t.kind == "library":
            srcs, gen_srcs = ws.files_of(a.get("srcs", []), t.package)
            hdrs, gen_hdrs = ws.files_of(a.get("hdrs", []) + a.get("textual_hdrs", []),
                                         t.package)
            first, ext = ws.deps_of(t)
            # A plain cc_library (hub/about:version, a generated header) has
            # no HUB_COPTS in Bazel either.
            copts = ([] if t.native else ws.hub_copts) + a.get("copts", [])
            lines += library_call(name, t, srcs, hdrs, gen_srcs + gen_hdrs, first, ext,
                                  a.get("testonly", False), copts)
        elif t.kind == "binary":
            srcs, _ = ws.files_of(a.get("srcs", []), t.package)
            first, ext = ws.deps_of(t)
            files, binaries = data_of(t)
            lines += executable_lines(
                "torchhub_cc_binary", name, t, srcs, first, ext, a.get("testonly", False), [
                    "  OUTPUT_NAME %s" % t.name,
                    "  COPTS %s" % cmake_list(ws.hub_copts + a.get("copts", [])),
                    "  DATA_BINARIES %s" % cmake_list(binaries),
                ])
        elif t.kind == "test":
            srcs, gen = ws.files_of(a.get("srcs", []), t.package)
            first, ext = ws.deps_of(t)
            ext = ext + ["third_party_gtest_gtest"]
            if a.get("gtest_main", True):
                ext.append("third_party_gtest_gtest_main")
            files, binaries = test_data(t, first)
            env = a.get("env", {})
            lines += executable_lines(
                "torchhub_cc_test", name, t, srcs, first, ext, True, [
                    "  OUTPUT_NAME %s" % t.name,
                    "  COPTS %s" % cmake_list(ws.hub_copts + a.get("copts", [])),
                    "  GENERATED %s" % cmake_list(gen),
                    "  TIMEOUT %d" % _TIMEOUTS[a["size"]],
                    "  LABELS %s" % cmake_list(["size_" + a["size"]] + a.get("tags", [])),
                    "  ENV %s" % cmake_list(["%s=%s" % kv for kv in sorted(env.items())]),
                    "  ARGS %s" % cmake_list(a.get("args", [])),
                    "  DATA_FILES %s" % cmake_list(files),
                    "  DATA_BINARIES %s" % cmake_list(binaries),
                ])
        elif t.kind == "benchmark":
            # bazel/hub.bzl: NAME_lib (the BM_ functions), NAME (run it for
            # real) and NAME_smoke_test (every benchmark for a moment).
            lib_label = "//%s:%s_lib" % (t.package, t.name)
            lib = Target("library", t.package, t.name + "_lib",
                         {"name": t.name + "_lib", "srcs": a["srcs"], "deps": a.get("deps", []),
                          "testonly": True})
            srcs, _ = ws.files_of(a["srcs"], t.package)
            first, ext = ws.deps_of(lib)
            lines += library_call(cmake_name(lib_label), lib, srcs, [], [], first,
                                  ext + ["third_party_benchmark_benchmark"], True,
                                  ws.hub_copts + a.get("copts", []))
            ws.targets[lib_label] = lib
            files, binaries = test_data(t, [lib])
            ext_all = ["third_party_benchmark_benchmark_main"]
            lines += executable_lines(
                "torchhub_cc_test", name + "_smoke_test", t, [], [lib], ext_all, True, [
                    "  OUTPUT_NAME %s_smoke_test" % t.name,
                    "  TIMEOUT %d" % _TIMEOUTS[a.get("smoke_size", "medium")],
                    "  LABELS %s" % cmake_list(
                        ["size_" + a.get("smoke_size", "medium"), "benchmark_smoke"] +
                        a.get("tags", [])),
                    "  ARGS %s" % cmake_list(a.get("args", []) + ["--benchmark_min_time=0.001"] +
                                             a.get("smoke_args", [])),
                    "  DATA_FILES %s" % cmake_list(files),
                    "  DATA_BINARIES %s" % cmake_list(binaries),
                ])
        elif t.kind == "fuzzer":
            # Without libFuzzer: replay the corpus and its mutations
            # (//tools/fuzzing:replay_main), as `bazel test` does.
            lib_label = "//%s:%s_lib" % (t.package, t.name)
            lib = Target("library", t.package, t.name + "_lib",
                         {"name": t.name + "_lib", "srcs": a["srcs"],
                          "deps": a.get("deps", []) + ["//tools/fuzzing:fuzz_target"],
                          "testonly": True})
            srcs, _ = ws.files_of(a["srcs"], t.package)
            first, ext = ws.deps_of(lib)
            lines += library_call(cmake_name(lib_label), lib, srcs, [], [], first, ext, True,
                                  ws.hub_copts + a.get("copts", []))
            ws.targets[lib_label] = lib
            corpus, _ = ws.files_of(a.get("corpus", []), t.package)
            replay = ws.targets["//tools/fuzzing:replay_main"]
            lines += executable_lines(
                "torchhub_cc_test", name, t, [], [lib, replay], [], True, [
                    "  OUTPUT_NAME %s" % t.name,
                    "  TIMEOUT %d" % _TIMEOUTS["medium"],
                    "  LABELS %s" % cmake_list(["size_medium", "fuzzer"] + a.get("tags", [])),
                    "  ARGS %s" % cmake_list(corpus),
                    "  DATA_FILES %s" % cmake_list(corpus),
                ])
        lines.append("")
    write_if_changed(out, "\n".join(lines) + "\n")

    # The closures the installed libraries are made of (torchhub::hub, torchhub::torch).
    bundle = []
    for api, cmake_var in (("//hub/api:hub", "HUB"), ("//hub/api:torch", "TORCH")):
        closure = ws.closure([ws.targets[api]])
        ext = []
        for t in closure:
            ext += ws.deps_of(t)[1]
        headers, generated_headers = [], []
        for t in closure:
            h, g = ws.files_of(t.attrs.get("hdrs", []), t.package)
            headers += h
            generated_headers += g
        bundle += [
            "set(TORCHHUB_%s_HEADERS %s)" % (cmake_var, cmake_list(sorted(set(headers)))),
            "set(TORCHHUB_%s_GENERATED_HEADERS %s)" % (
                cmake_var, cmake_list(sorted(set(generated_headers)))),
            "set(TORCHHUB_%s_OBJECTS %s)" % (cmake_var, cmake_list(
                [cmake_name(t.label) for t in closure])),
            "set(TORCHHUB_%s_EXTERNAL %s)" % (cmake_var, cmake_list(sorted(set(ext)))),
            "set(TORCHHUB_%s_GENRULES %s)" % (cmake_var, cmake_list(ws.genrules_needed(closure))),
        ]
    write_if_changed(out.parent / "torchhub_bundles.cmake", "\n".join(bundle) + "\n")


def emit_boringssl(root, out_dir):
    """BoringSSL's libcrypto as third_party/boringssl/boringssl.BUILD has it.

    Its sources come from the unpacked source's BUILD.generated.bzl, its
    flags (hidden visibility: see that file) from boringssl.BUILD itself.
    """
    upstream = pathlib.Path(root) / "third_party/boringssl/upstream"
    generated = upstream / "BUILD.generated.bzl"
    if not generated.exists():
        raise BuildError("%s is missing: run tools/setup.sh, which unpacks BoringSSL's "
                         "source, or configure with -DTORCHHUB_CRYPTO=openssl" % generated)
    lists = {}
    exec(compile(generated.read_text(), str(generated), "exec"), lists)  # pylint: disable=exec-used
    found = {}

    def load(file, *names):
        if file == ":BUILD.generated.bzl":
            for n in names:
                env[n] = lists[n]

    def cc_library(**kwargs):
        found[kwargs["name"]] = kwargs

    env = {"load": load, "licenses": lambda *a: None, "cc_library": cc_library}
    build = pathlib.Path(root) / "third_party/boringssl/boringssl.BUILD"
    exec(compile(build.read_text(), str(build), "exec"), env)  # pylint: disable=exec-used
    crypto = found["crypto"]
    srcs = [s for s in crypto["srcs"] if not s.endswith(".h")]
    lines = [
        "# Written by cmake/bazel_to_cmake.py from third_party/boringssl/boringssl.BUILD.",
        "set(TORCHHUB_BORINGSSL_SOURCES %s)" % cmake_list(srcs),
        "set(TORCHHUB_BORINGSSL_COPTS %s)" % cmake_list(crypto.get("copts", [])),
        "set(TORCHHUB_BORINGSSL_INCLUDES %s)" % cmake_list(crypto.get("includes", [])),
        "set(TORCHHUB_BORINGSSL_LINKOPTS %s)" % cmake_list(crypto.get("linkopts", [])),
    ]
    write_if_changed(pathlib.Path(out_dir) / "torchhub_boringssl.cmake", "\n".join(lines) + "\n")


def bazel_view(ws):
    """The rules as Bazel expands them: {label: {kind, srcs, hdrs, deps}}.

    bazel/hub.bzl's macros expanded as they are there (tools/check_cmake.sh
    compares this with `bazel query --output=xml`, so a macro or BUILD
    construct read differently here fails CI).
    """
    def labels(target, attr):
        out = []
        for label in target.attrs.get(attr, []):
            pkg, name = split_label(label, target.package)
            out.append("//%s:%s" % (pkg, name))
        return sorted(out)

    view = {}

    def rule(kind, package, name, srcs=(), hdrs=(), deps=(), data=()):
        view["//%s:%s" % (package, name)] = {
            "kind": kind, "srcs": sorted(srcs), "hdrs": sorted(hdrs),
            "deps": sorted(set(deps)), "data": sorted(set(data))}

    for t in ws.targets.values():
        data = labels(t, "data")
        if t.kind == "library":
            rule("cc_library", t.package, t.name, labels(t, "srcs"),
                 labels(t, "hdrs"), labels(t, "deps"), data)
        elif t.kind == "binary":
            rule("cc_binary", t.package, t.name, labels(t, "srcs"), (), labels(t, "deps"), data)
        elif t.kind == "test":
            main = ["//third_party/gtest:gtest_main"] if t.attrs.get("gtest_main", True) else []
            rule("cc_test", t.package, t.name, labels(t, "srcs"), (),
                 labels(t, "deps") + main + ["//third_party/gtest:gtest"], data)
        elif t.kind == "benchmark":
            lib = "//%s:%s_lib" % (t.package, t.name)
            rule("cc_library", t.package, t.name + "_lib", labels(t, "srcs"), (),
                 labels(t, "deps") + ["//third_party/benchmark:benchmark"])
            rule("cc_binary", t.package, t.name, (), (),
                 [lib, "//third_party/benchmark:benchmark_main"], data)
            rule("cc_test", t.package, t.name + "_smoke_test", (), (),
                 [lib, "//third_party/benchmark:benchmark_main"], data)
        elif t.kind == "fuzzer":
            lib = "//%s:%s_lib" % (t.package, t.name)
            rule("cc_library", t.package, t.name + "_lib", labels(t, "srcs"), (),
                 labels(t, "deps") + ["//tools/fuzzing:fuzz_target"])
            rule("cc_test", t.package, t.name, (), (), [lib, "//tools/fuzzing:replay_main"],
                 labels(t, "corpus"))
    return view


def write_if_changed(path, text):
    path = pathlib.Path(path)
    if path.exists() and path.read_text() == text:
        return
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True, help="the repository's root")
    parser.add_argument("--out", help="the .cmake file to write")
    parser.add_argument("--dump", action="store_true",
                        help="print the rules as Bazel expands them, as JSON")
    parser.add_argument("--boringssl", action="store_true",
                        help="also write torchhub_boringssl.cmake beside --out")
    args = parser.parse_args()
    ws = Workspace(args.root)
    try:
        ws.load_all()
        if args.dump:
            import json  # pylint: disable=import-outside-toplevel
            json.dump(bazel_view(ws), sys.stdout, indent=1, sort_keys=True)
            return 0
        if args.out:
            emit(ws, args.out)
            if args.boringssl:
                emit_boringssl(args.root, os.path.dirname(os.path.abspath(args.out)))
        else:
            import tempfile  # pylint: disable=import-outside-toplevel
            with tempfile.TemporaryDirectory() as tmp:
                emit(ws, os.path.join(tmp, "targets.cmake"))
            print("bazel_to_cmake: %d targets in %d packages translate" %
                  (len(ws.targets), len(ws.packages)))
    except BuildError as e:
        print("bazel_to_cmake: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
