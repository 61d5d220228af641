"""Build macros for torchhub-cpp: every BUILD file uses these, not native rules.

They put the project's warnings, -Werror and test conventions in one place:
  hub_cc_library    a first-party library (warnings are errors)
  hub_cc_binary     a first-party binary
  hub_cc_test       a gtest test; `size` is required
  hub_cc_benchmark  a Google Benchmark binary plus a smoke test that runs it
                    for a moment, so it can't rot
  hub_cc_fuzzer     a fuzz target: a libFuzzer binary under --config=fuzz,
                    otherwise a test replaying its corpus and mutations of it
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

# Warnings for first-party code only; third_party and system headers are not
# held to them.
HUB_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wnon-virtual-dtor",
    "-Woverloaded-virtual",
    "-Wformat=2",
    "-Wimplicit-fallthrough",
    "-Wmissing-declarations",
    "-Wvla",
    # Options structs are filled with designated initializers; members left
    # out keep their defaults on purpose.
    "-Wno-missing-field-initializers",
]

_TEST_SIZES = ["small", "medium", "large", "enormous"]

def hub_cc_library(name, copts = [], **kwargs):
    cc_library(
        name = name,
        copts = HUB_COPTS + copts,
        **kwargs
    )

def hub_cc_binary(name, copts = [], **kwargs):
    cc_binary(
        name = name,
        copts = HUB_COPTS + copts,
        **kwargs
    )

def hub_cc_test(
        name,
        size = None,
        deps = [],
        copts = [],
        gtest_main = True,
        tags = [],
        **kwargs):
    """A gtest test with the project's copts.

    Args:
      name: the test's name.
      size: required: "small", "medium", "large" or "enormous".
      deps: the test's own dependencies; gtest (and its main) are added.
      copts: extra compiler options after HUB_COPTS.
      gtest_main: link gtest's main (False for tests with their own).
      tags: the test's tags.
      **kwargs: passed to cc_test.
    """
    if size not in _TEST_SIZES:
        fail("hub_cc_test %s: give size = one of %s" % (name, _TEST_SIZES))
    main = ["//third_party/gtest:gtest_main"] if gtest_main else []
    cc_test(
        name = name,
        size = size,
        copts = HUB_COPTS + copts,
        deps = deps + main + ["//third_party/gtest"],
        tags = tags,
        **kwargs
    )

def hub_cc_benchmark(
        name,
        srcs,
        deps = [],
        copts = [],
        tags = [],
        data = [],
        args = [],
        smoke_args = [],
        smoke_size = "medium",
        **kwargs):
    """A Google Benchmark binary `name` and `name_smoke_test`.

    Run for real with `bazel run -c opt //pkg:name`. The smoke test runs every
    benchmark for a few milliseconds (`bazel test //...` covers it), with
    `smoke_args` added (say, a --benchmark_filter that skips 1 GiB cases).
    """
    cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = srcs,
        copts = HUB_COPTS + copts,
        deps = deps + ["//third_party/benchmark"],
        alwayslink = True,
        **kwargs
    )
    cc_binary(
        name = name,
        testonly = True,
        deps = [name + "_lib", "//third_party/benchmark:benchmark_main"],
        data = data,
        args = args,
        tags = tags + ["benchmark"],
    )
    cc_test(
        name = name + "_smoke_test",
        size = smoke_size,
        deps = [name + "_lib", "//third_party/benchmark:benchmark_main"],
        data = data,
        args = args + ["--benchmark_min_time=0.001"] + smoke_args,
        tags = tags + ["benchmark_smoke"],
    )

def hub_cc_fuzzer(name, srcs, deps = [], corpus = [], copts = [], tags = [], **kwargs):
    """A fuzz target: `srcs` define LLVMFuzzerTestOneInput.

    Under `--config=fuzz` (clang, libFuzzer), `bazel run //pkg:name` fuzzes;
    `bazel test` replays `corpus` in both modes. Without libFuzzer the test
    also runs a fixed-seed series of mutations of the corpus, so the target
    is exercised in every CI run.
    """
    cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = srcs,
        copts = HUB_COPTS + copts,
        deps = deps + ["//tools/fuzzing:fuzz_target"],
        alwayslink = True,
        **kwargs
    )
    cc_test(
        name = name,
        size = "medium",
        deps = [name + "_lib"] + select({
            "//bazel:libfuzzer": [],
            "//conditions:default": ["//tools/fuzzing:replay_main"],
        }),
        linkopts = select({
            "//bazel:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = corpus,
        args = ["$(location %s)" % c for c in corpus],
        tags = tags + ["fuzzer"],
    )
