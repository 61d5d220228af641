"""Module extensions for Bzlmod: torchhub-cpp's repository rules in MODULE.bazel.

UNTESTED: written for Bazel 7-9 with Bzlmod, but only Bazel 4.2.3 (which
ignores MODULE.bazel) was available where this was written; buildifier lints
it. docs/release.md says what was run.

A consumer's MODULE.bazel:

    bazel_dep(name = "torchhub_cpp", version = "0.1.0")

    torchhub = use_extension("@torchhub_cpp//bazel:extensions.bzl", "torchhub")
    torchhub.repository(
        name = "pytorch_vision",
        repo = "pytorch/vision",
        ref = "v0.14.1",
        commit = "<40 hex digits>",
        sha256 = "<SHA-256 of the commit's .tar.gz>",
    )
    torchhub.weights(
        name = "resnet18_weights",
        url = "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        sha256 = "<SHA-256 of the file>",
    )
    use_repo(torchhub, "pytorch_vision", "resnet18_weights")

    # Which libtorch and Python (default Debian's /usr and /usr/bin/python3;
    # TORCHHUB_LIBTORCH / TORCHHUB_PYTHON in the environment still win).
    libtorch = use_extension("@torchhub_cpp//bazel:extensions.bzl", "libtorch")
    libtorch.configure(path = "/opt/libtorch", python = "/opt/venv/bin/python")

The rules are bazel/torchhub.bzl's torchhub_repository and torchhub_weights
and third_party/*/repository.bzl's; their attributes are the tags'.
"""

load("//bazel:torchhub.bzl", "torchhub_repository", "torchhub_weights")
load("//third_party/libtorch:repository.bzl", "torchhub_libtorch_repository")
load("//third_party/python:repository.bzl", "torchhub_python_repository")

_repository_tag = tag_class(
    doc = "A torch.hub repo at one commit (torchhub_repository).",
    attrs = {
        "name": attr.string(mandatory = True),
        "repo": attr.string(mandatory = True),
        "ref": attr.string(),
        "commit": attr.string(mandatory = True),
        "sha256": attr.string(),
        "urls": attr.string_list(),
        "github_url": attr.string(default = "https://github.com"),
    },
)

_weights_tag = tag_class(
    doc = "One weight file by SHA-256 (torchhub_weights).",
    attrs = {
        "name": attr.string(mandatory = True),
        "url": attr.string(),
        "urls": attr.string_list(),
        "sha256": attr.string(),
        "file_name": attr.string(),
    },
)

def _torchhub_impl(module_ctx):
    seen = {}
    for mod in module_ctx.modules:
        for tag in mod.tags.repository:
            if tag.name in seen:
                fail("torchhub.repository: %r is declared twice (%s and %s)" %
                     (tag.name, seen[tag.name], mod.name))
            seen[tag.name] = mod.name
            torchhub_repository(
                name = tag.name,
                repo = tag.repo,
                ref = tag.ref,
                commit = tag.commit,
                sha256 = tag.sha256,
                urls = tag.urls,
                github_url = tag.github_url,
            )
        for tag in mod.tags.weights:
            if tag.name in seen:
                fail("torchhub.weights: %r is declared twice (%s and %s)" %
                     (tag.name, seen[tag.name], mod.name))
            seen[tag.name] = mod.name
            torchhub_weights(
                name = tag.name,
                url = tag.url,
                urls = tag.urls,
                sha256 = tag.sha256,
                file_name = tag.file_name,
            )

torchhub = module_extension(
    implementation = _torchhub_impl,
    tag_classes = {
        "repository": _repository_tag,
        "weights": _weights_tag,
    },
    doc = "Pinned torch.hub repos and weights, as bazel/torchhub.bzl's rules make them.",
)

_configure_tag = tag_class(
    doc = "Where libtorch and its Python are (TORCHHUB_LIBTORCH / TORCHHUB_PYTHON still win).",
    attrs = {
        "path": attr.string(
            default = "/usr",
            doc = "libtorch's root: /usr, a pip wheel's torch/, an unpacked libtorch zip",
        ),
        "python": attr.string(
            default = "/usr/bin/python3",
            doc = "the Python embedded beside it (its torch must be that libtorch)",
        ),
    },
)

def _libtorch_impl(module_ctx):
    path = "/usr"
    python = "/usr/bin/python3"

    # The root module decides; a dependency's choice is a default only.
    for mod in reversed(module_ctx.modules):
        for tag in mod.tags.configure:
            path = tag.path
            python = tag.python
    torchhub_libtorch_repository(name = "torchhub_libtorch", path = path)
    torchhub_python_repository(name = "torchhub_python", python = python)

libtorch = module_extension(
    implementation = _libtorch_impl,
    tag_classes = {"configure": _configure_tag},
    doc = "@torchhub_libtorch and @torchhub_python: the libtorch and Python the build uses.",
)
