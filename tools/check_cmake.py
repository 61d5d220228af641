#!/usr/bin/env python3
"""Fails when the CMake build would not build what the BUILD files say.

The CMake build has no target list of its own: cmake/bazel_to_cmake.py
reads the BUILD files (as Python, with bazel/hub.bzl's macros stood in for)
at configure time. This check makes sure that reading agrees with Bazel's:

  1. every cc_library, cc_binary and cc_test Bazel has under //hub/...,
     //tests/..., //tools/fuzzing/... and //examples/... (macros expanded), with its srcs,
     hdrs, deps and data, is the translator's, and nothing more;
  2. every //third_party target they use has its CMake stand-in in
     cmake/ThirdParty.cmake.

So a new macro, a BUILD construct Python reads differently from Starlark,
or a new third_party dependency fails CI instead of silently dropping out
of the CMake build.

    tools/check_cmake.py                    # runs bazel query
    tools/check_cmake.py --query-xml FILE   # bazel query's --output=xml, saved
"""

import argparse
import importlib.util
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUERY = ('kind("cc_(library|binary|test) rule", '
         '//hub/... + //tests/... + //tools/fuzzing/... + //examples/...)')
ATTRS = ("srcs", "hdrs", "deps", "data")


def load_translator():
    spec = importlib.util.spec_from_file_location("bazel_to_cmake",
                                                  ROOT / "cmake/bazel_to_cmake.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bazel_rules(xml_text):
    """{label: {kind, srcs, hdrs, deps, data}} from bazel query --output=xml."""
    rules = {}
    for rule in ET.fromstring(xml_text).iter("rule"):
        entry = {"kind": rule.get("class")}
        for attr in ATTRS:
            entry[attr] = []
        for child in rule:
            if child.tag == "list" and child.get("name") in ATTRS:
                entry[child.get("name")] = sorted(
                    {label.get("value") for label in child.iter("label")})
        rules[rule.get("name")] = entry
    return rules


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--query-xml", help="bazel query's XML, instead of running bazel")
    args = parser.parse_args()

    if args.query_xml:
        xml_text = pathlib.Path(args.query_xml).read_text()
    else:
        xml_text = subprocess.run(["bazel", "query", "--noshow_progress", QUERY, "--output=xml"], cwd=ROOT,
                                  check=True, stdout=subprocess.PIPE, text=True).stdout
    bazel = bazel_rules(xml_text)

    translator = load_translator()
    ws = translator.Workspace(ROOT)
    try:
        ws.load_all()
    except translator.BuildError as e:
        print("check_cmake: %s" % e, file=sys.stderr)
        return 1
    cmake = translator.bazel_view(ws)

    problems = []
    for label in sorted(set(bazel) - set(cmake)):
        problems.append("%s (%s) is in Bazel but not read by cmake/bazel_to_cmake.py" %
                        (label, bazel[label]["kind"]))
    for label in sorted(set(cmake) - set(bazel)):
        problems.append("%s is read by cmake/bazel_to_cmake.py but Bazel has no such rule" %
                        label)
    for label in sorted(set(bazel) & set(cmake)):
        for key in ("kind",) + ATTRS:
            if bazel[label][key] != cmake[label][key]:
                problems.append("%s: %s differ\n    bazel: %s\n    cmake: %s" %
                                (label, key, bazel[label][key], cmake[label][key]))

    third_party = (ROOT / "cmake/ThirdParty.cmake").read_text()
    used = sorted({d for r in cmake.values() for d in r["deps"]
                   if d.startswith("//third_party/")})
    for label in used:
        name = translator.cmake_name(label)
        if not re.search(r"\b%s\b" % re.escape(name), third_party):
            problems.append("%s has no CMake stand-in: add %s to cmake/ThirdParty.cmake" %
                            (label, name))

    for p in problems:
        print("check_cmake: " + p, file=sys.stderr)
    if problems:
        print("check_cmake: %d disagreement(s) between the BUILD files and the CMake build" %
              len(problems), file=sys.stderr)
        return 1
    print("check_cmake: %d Bazel rules and the CMake build agree; %d third_party targets "
          "mapped" % (len(bazel), len(used)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
