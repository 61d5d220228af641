"""Pinned torch.hub repos and weights for Bazel workspaces, and a hub dir from them.

A monorepo's tests that use a torch.hub model should not reach GitHub: these
rules pin the repo at a commit and the weights by SHA-256, let Bazel fetch
them once (checked; later fetches come from Bazel's repository cache, offline),
and lay them out as torch.hub's hub dir, so that Python's torch.hub and
torchhub-cpp both find them cached and never touch the network.

WORKSPACE:

    local_repository(name = "torchhub_cpp", path = "third_party/torchhub-cpp")
    load("@torchhub_cpp//third_party:repositories.bzl", "torchhub_cpp_dependencies")
    torchhub_cpp_dependencies(path = "third_party/torchhub-cpp")

    load("@torchhub_cpp//bazel:torchhub.bzl", "torchhub_repository", "torchhub_weights")

    torchhub_repository(
        name = "pytorch_vision",
        repo = "pytorch/vision",
        ref = "v0.14.1",  # names the cache dir: pytorch_vision_v0.14.1
        commit = "<the tag's commit: 40 lowercase hex digits>",
        sha256 = "<SHA-256 of that commit's .tar.gz>",
    )

    torchhub_weights(
        name = "resnet18_weights",
        url = "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        sha256 = "<SHA-256 of the file>",
    )

BUILD:

    load("@torchhub_cpp//bazel:torchhub.bzl", "torchhub_hub_dir")

    torchhub_hub_dir(
        name = "torch_home",
        repos = ["@pytorch_vision//:repo"],
        weights = ["@resnet18_weights//:file"],
    )

    sh_test(  # or cc_test; tests/bazel_consumer/BUILD.bazel has both
        name = "resnet_test",
        srcs = ["resnet_test.py"],  # #!/usr/bin/python3; sets TORCH_HOME=argv[1]
        args = ["$(rootpath :torch_home)"],
        data = [":torch_home"],
    )

With TORCH_HOME at it (the hub dir is $TORCH_HOME/hub),
`torch.hub.load("pytorch/vision:v0.14.1", "resnet18", weights=...)` and
torchhub-cpp's hub::GetDir / CacheLayout / LoadCheckpoint use the pinned
copies, with no network. The repo string must carry the ref: without one,
torch.hub asks GitHub for the default branch.

The sha256 of a repo is that of GitHub's archive of the commit
(`curl -L https://github.com/OWNER/NAME/archive/COMMIT.tar.gz | sha256sum`), of
weights that of the file (`sha256sum`); or give a wrong one and copy the right
one from Bazel's "Checksum was ..." error. GitHub makes its archives on the fly;
should one change, the fetch fails loudly with that error (a pin is never
silently replaced), and `urls` can name a mirror that keeps the original bytes.

Where a repo is fetched from, in order (Bazel tries each URL until one works):
  1. `urls`, when given;
  2. `$TORCHHUB_GITHUB_URL/OWNER/NAME/archive/COMMIT.tar.gz` when that
     environment variable is set (a mirror, GitHub Enterprise, a test server),
     else `github_url` (default https://github.com) in its place.
Bazel checks the repository cache by SHA-256 before any of them. A weight file
comes from `urls` (or `url`) alone; Bazel's own
`--experimental_downloader_config` can rewrite hosts for both rules. For a test
server, use plain HTTP on loopback or a CA in Bazel's Java truststore: Bazel's
downloader does not read CURL_CA_BUNDLE.
"""

_HEX = "0123456789abcdef"

# What GitHub allows in owner and repo names.
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

def _is_lower_hex(s, length):
    if len(s) != length:
        return False
    for c in s.elems():
        if c not in _HEX:
            return False
    return True

def _check_name(rule, what, value):
    if not value or len(value) > 100:
        fail("%s: %s %r must be 1 to 100 characters" % (rule, what, value))
    if value[0] in ".-":
        fail("%s: %s %r must not start with '.' or '-'" % (rule, what, value))
    for c in value.elems():
        if c not in _NAME_CHARS:
            fail("%s: %s %r may hold only letters, digits, '-', '_' and '.'" % (rule, what, value))

def _check_ref(rule, ref):
    # The ref only names the cache directory; keep it a safe directory name
    # (hub/ref refuses the same things at run time).
    if not ref or len(ref) > 255:
        fail("%s: ref %r must be 1 to 255 characters" % (rule, ref))
    if ref[0] in ".-/" or ref.endswith("/") or ".." in ref or "//" in ref or ref.endswith(".lock"):
        fail("%s: ref %r is not a name git would accept (no leading '.', '-' or '/', " % (rule, ref) +
             "no '..', '//', trailing '/' or '.lock')")
    for c in ref.elems():
        if c not in _NAME_CHARS + "/+":
            fail("%s: ref %r may hold only letters, digits, '-', '_', '.', '+' and '/'" % (rule, ref))

def _check_sha256(rule, sha256, how):
    if not sha256:
        fail("%s: give sha256 = the SHA-256 of %s, 64 lowercase hex digits. " % (rule, how) +
             "`curl -L URL | sha256sum` prints it; or put 64 zeros and copy the value from " +
             "Bazel's \"Checksum was ...\" error")
    if not _is_lower_hex(sha256, 64):
        fail("%s: sha256 %r is not 64 lowercase hex digits (`sha256sum FILE` prints one)" % (rule, sha256))

def _check_file_name(rule, file_name):
    if not file_name or file_name in (".", "..") or "/" in file_name or file_name.startswith("."):
        fail("%s: file_name %r must be a plain file name (no '/', not hidden); " % (rule, file_name) +
             "give file_name = \"model.pth\" when the URL doesn't end in one")

# This file's label, for the BUILD files the repository rules write to load
# it from. str(Label) names the repository the way the loading Bazel does:
# "@torchhub_cpp//bazel:torchhub.bzl" under WORKSPACE, the canonical
# "@@torchhub_cpp+//bazel:torchhub.bzl" under Bzlmod, where the apparent
# name a user gave the module means nothing inside another repository. A
# label of the main repository prints as "//..." in Bazel 4 (and "@@//..."
# later): "@//..." names the main repository from anywhere.
_SELF = Label("//bazel:torchhub.bzl")

def _bzl_label():
    label = str(_SELF)
    return "@" + label if label.startswith("//") else label

# --- Repos -------------------------------------------------------------------

TorchHubRepoInfo = provider(
    doc = "A repo pinned by torchhub_repository, for torchhub_hub_dir.",
    fields = {
        "owner": "GitHub owner",
        "name": "GitHub repo name",
        "ref": "the ref the cache dir is named after",
        "commit": "the commit the files are from",
        "dir_name": "torch.hub's cache dir name: <owner>_<name>_<ref, '/' as '_'>",
        "files": "depset of the repo's files",
        "root": "the repo's files' path prefix (external/<repo>)",
    },
)

def _torchhub_repo_files_impl(ctx):
    root = ctx.label.workspace_root
    for f in ctx.files.srcs:
        if not f.path.startswith(root + "/"):
            fail("%s: %s is not inside %s" % (ctx.label, f.path, root))
    return [
        DefaultInfo(files = depset(ctx.files.srcs)),
        TorchHubRepoInfo(
            owner = ctx.attr.owner,
            name = ctx.attr.repo_name,
            ref = ctx.attr.ref,
            commit = ctx.attr.commit,
            dir_name = "_".join([ctx.attr.owner, ctx.attr.repo_name, ctx.attr.ref.replace("/", "_")]),
            files = depset(ctx.files.srcs),
            root = root,
        ),
    ]

# Used by the BUILD file torchhub_repository writes; not for BUILD files.
torchhub_repo_files = rule(
    implementation = _torchhub_repo_files_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = True),
        "owner": attr.string(mandatory = True),
        "repo_name": attr.string(mandatory = True),
        "ref": attr.string(mandatory = True),
        "commit": attr.string(mandatory = True),
    },
)

_REPO_BUILD = """\
# Written by torchhub_repository: {repo} at commit {commit} (ref {ref}).
load("{bzl}", "torchhub_repo_files")

package(default_visibility = ["//visibility:public"])

# Every file of the repo at that commit.
filegroup(
    name = "files",
    srcs = {files},
)

filegroup(
    name = "hubconf",
    srcs = ["hubconf.py"],
)

# For torchhub_hub_dir: the files and torch.hub's name for their cache dir.
torchhub_repo_files(
    name = "repo",
    srcs = [":files"],
    owner = "{owner}",
    repo_name = "{name}",
    ref = "{ref}",
    commit = "{commit}",
)
"""

def _torchhub_repository_impl(rctx):
    rule = "torchhub_repository(name = %r)" % rctx.attr.name
    parts = rctx.attr.repo.split("/")
    if len(parts) != 2:
        fail("%s: repo %r must be \"owner/name\", as on GitHub" % (rule, rctx.attr.repo))
    owner, name = parts
    _check_name(rule, "owner", owner)
    _check_name(rule, "name", name)
    commit = rctx.attr.commit
    if not _is_lower_hex(commit, 40):
        fail("%s: commit %r must be a full commit id, 40 lowercase hex digits " % (rule, commit) +
             "(`git ls-remote https://github.com/%s REF` prints it; a branch or tag " % rctx.attr.repo +
             "name goes in `ref`, which only names the cache dir)")
    ref = rctx.attr.ref or commit
    _check_ref(rule, ref)
    _check_sha256(rule, rctx.attr.sha256, "the commit's .tar.gz archive")

    base = rctx.os.environ.get("TORCHHUB_GITHUB_URL", "") or rctx.attr.github_url
    if not base.startswith(("http://", "https://", "file://")):
        fail("%s: the GitHub base URL %r (TORCHHUB_GITHUB_URL, else github_url) " % (rule, base) +
             "must start with http://, https:// or file://")
    urls = list(rctx.attr.urls) + ["%s/%s/%s/archive/%s.tar.gz" % (base.rstrip("/"), owner, name, commit)]

    # GitHub's archive of a commit holds one folder, "<name>-<commit>"; an
    # archive without it (another commit's, a error page) fails here.
    rctx.download_and_extract(
        url = urls,
        sha256 = rctx.attr.sha256,
        type = "tar.gz",
        stripPrefix = "%s-%s" % (name, commit),
    )

    found = rctx.execute(["find", ".", "-mindepth", "1", "(", "-type", "f", "-o", "-type", "l", ")", "-printf", "%P\\n"])
    if found.return_code != 0:
        fail("%s: could not list the extracted files: %s" % (rule, found.stderr))
    files = sorted([f for f in found.stdout.split("\n") if f])
    for f in files:
        base_name = f.split("/")[-1]
        if base_name in ("BUILD", "BUILD.bazel") and f != "BUILD":
            fail("%s: %s at %s holds a Bazel BUILD file (%s), which would split it " % (rule, rctx.attr.repo, commit, f) +
                 "into packages; torchhub_repository can't expose such a repo")
    if "hubconf.py" not in files:
        fail("%s: %s at %s has no hubconf.py at its top; is it a torch.hub repo?" % (rule, rctx.attr.repo, commit))
    if "WORKSPACE" not in files:
        # Marks the repository's root; the repo's own WORKSPACE, if any, is
        # one of its files and stays.
        rctx.file("WORKSPACE", "workspace(name = %r)\n" % rctx.attr.name)

    rctx.file("BUILD.bazel", _REPO_BUILD.format(
        bzl = _bzl_label(),
        repo = rctx.attr.repo,
        owner = owner,
        name = name,
        ref = ref,
        commit = commit,
        files = "[\n" + "".join(["        %r,\n" % f for f in files]) + "    ]",
    ))

torchhub_repository = repository_rule(
    implementation = _torchhub_repository_impl,
    doc = """A torch.hub repo at one commit, checked by SHA-256.

Targets: `:files` (every file), `:hubconf` (hubconf.py), `:repo` (for
torchhub_hub_dir, which lays it out as `<owner>_<name>_<ref>`). Refused: a
`commit` that is not 40 lowercase hex digits, a missing or malformed `sha256`,
an archive without the folder `<name>-<commit>` or without hubconf.py, and a
repo holding Bazel BUILD files below its top.
""",
    attrs = {
        "repo": attr.string(mandatory = True, doc = "\"owner/name\" on GitHub"),
        "ref": attr.string(doc = "names the cache dir, as in torch.hub.load(\"owner/name:ref\"); default: the commit"),
        "commit": attr.string(mandatory = True, doc = "40 lowercase hex digits"),
        "sha256": attr.string(doc = "SHA-256 of the commit's .tar.gz archive (required)"),
        "urls": attr.string_list(doc = "mirrors of the archive, tried before GitHub"),
        "github_url": attr.string(
            default = "https://github.com",
            doc = "GitHub's web host; $TORCHHUB_GITHUB_URL, when set, takes its place",
        ),
    },
    environ = ["TORCHHUB_GITHUB_URL"],
)

# --- Weights -----------------------------------------------------------------

TorchHubWeightsInfo = provider(
    doc = "A weight file pinned by torchhub_weights.",
    fields = {
        "file": "the File",
        "file_name": "its name in <hub_dir>/checkpoints",
        "url": "the URL it is known by (load_state_dict_from_url's argument)",
        "sha256": "its SHA-256",
    },
)

def _torchhub_weights_file_impl(ctx):
    f = ctx.file.src
    return [
        DefaultInfo(files = depset([f])),
        TorchHubWeightsInfo(file = f, file_name = f.basename, url = ctx.attr.url, sha256 = ctx.attr.sha256),
    ]

# Used by the BUILD file torchhub_weights writes; not for BUILD files.
torchhub_weights_file = rule(
    implementation = _torchhub_weights_file_impl,
    attrs = {
        "src": attr.label(allow_single_file = True, mandatory = True),
        "url": attr.string(),
        "sha256": attr.string(),
    },
)

_WEIGHTS_BUILD = """\
# Written by torchhub_weights: {url}, SHA-256 {sha256}.
load("{bzl}", "torchhub_weights_file")

package(default_visibility = ["//visibility:public"])

torchhub_weights_file(
    name = "file",
    src = "{file_name}",
    url = "{url}",
    sha256 = "{sha256}",
)
"""

def _url_basename(url):
    path = url.split("?")[0].split("#")[0]
    return path.rstrip("/").split("/")[-1] if "/" in path else ""

def _torchhub_weights_impl(rctx):
    rule = "torchhub_weights(name = %r)" % rctx.attr.name
    urls = ([rctx.attr.url] if rctx.attr.url else []) + list(rctx.attr.urls)
    if not urls:
        fail("%s: give url = \"https://.../model.pth\" (or urls = [...], mirrors first)" % rule)
    for u in urls:
        if "\"" in u or "\\" in u or "\n" in u:
            fail("%s: url %r holds a quote, backslash or newline" % (rule, u))
    _check_sha256(rule, rctx.attr.sha256, "the weight file")
    file_name = rctx.attr.file_name or _url_basename(urls[0])
    _check_file_name(rule, file_name)
    if file_name in ("BUILD", "BUILD.bazel", "WORKSPACE"):
        fail("%s: file_name %r would clash with Bazel's files; give another" % (rule, file_name))

    rctx.download(url = urls, output = file_name, sha256 = rctx.attr.sha256)
    rctx.file("WORKSPACE", "workspace(name = %r)\n" % rctx.attr.name)
    rctx.file("BUILD.bazel", _WEIGHTS_BUILD.format(
        bzl = _bzl_label(),
        url = urls[0],
        sha256 = rctx.attr.sha256,
        file_name = file_name,
    ))

torchhub_weights = repository_rule(
    implementation = _torchhub_weights_impl,
    doc = """One weight file, checked by SHA-256.

Target `:file`, named `file_name` (default: the URL's basename, as
load_state_dict_from_url names it), which torchhub_hub_dir puts in
`checkpoints/`.
""",
    attrs = {
        "url": attr.string(doc = "where it is; the URL load_state_dict_from_url is given"),
        "urls": attr.string_list(doc = "more URLs (mirrors), tried after `url`"),
        "sha256": attr.string(doc = "SHA-256 of the file (required)"),
        "file_name": attr.string(doc = "its name in checkpoints/; default: the URL's basename"),
    },
)

# --- The hub dir -------------------------------------------------------------

# Copies, never links: the tree must hold real files so that it can leave the
# sandbox and be read from runfiles and remote caches alike.
_COPY_SCRIPT = """\
set -euo pipefail
out="$1"
manifest="$2"
mkdir -p "$out/hub/checkpoints"
while IFS=$'\\t' read -r src dst; do
  mkdir -p "$(dirname "$out/hub/$dst")"
  cp -- "$src" "$out/hub/$dst"
  chmod u+w,a+r "$out/hub/$dst"
done < "$manifest"
"""

def _torchhub_hub_dir_impl(ctx):
    lines = []
    inputs = []
    dirs = {}
    for r in ctx.attr.repos:
        info = r[TorchHubRepoInfo]
        if info.dir_name in dirs:
            fail("%s: %s and %s both make %s" % (ctx.label, dirs[info.dir_name], r.label, info.dir_name))
        dirs[info.dir_name] = r.label
        for f in info.files.to_list():
            lines.append("%s\t%s/%s" % (f.path, info.dir_name, f.path[len(info.root) + 1:]))
            inputs.append(f)

    names = {}
    records = []
    for w in ctx.attr.weights:
        if TorchHubWeightsInfo in w:
            info = w[TorchHubWeightsInfo]
            f, file_name = info.file, info.file_name
            if info.url:
                records.append((f, info.url, info.sha256))
        else:
            files = w.files.to_list()
            if len(files) != 1:
                fail("%s: weights %s must be one file, not %d" % (ctx.label, w.label, len(files)))
            f, file_name = files[0], files[0].basename
        if file_name in names:
            fail("%s: %s and %s are both checkpoints/%s" % (ctx.label, names[file_name], w.label, file_name))
        names[file_name] = w.label
        lines.append("%s\tcheckpoints/%s" % (f.path, file_name))
        inputs.append(f)

    # Pinned repos are trusted: torch.hub's trust check finds them here
    # instead of creating a trusted_list in a read-only directory.
    trusted = ctx.actions.declare_file(ctx.label.name + ".trusted_list")
    owner_names = {"%s_%s" % (r[TorchHubRepoInfo].owner, r[TorchHubRepoInfo].name): 1 for r in ctx.attr.repos}
    ctx.actions.write(trusted, "".join([n + "\n" for n in sorted(owner_names.keys())]))
    lines.append("%s\ttrusted_list" % trusted.path)
    inputs.append(trusted)

    # torchhub-cpp's record of where each checkpoint came from
    # (hub/checkpoint/state_dict_from_url.h): `torchhub cache verify`
    # re-hashes the file against the pin, and a load from another URL with
    # the same file name is refused instead of silently sharing the file.
    for f, url, sha256 in records:
        rec = ctx.actions.declare_file("%s.records/.%s.source" % (ctx.label.name, f.basename))
        ctx.actions.run_shell(
            outputs = [rec],
            inputs = [f],
            command = "printf '%s%d}\\n' \"$1\" \"$(stat -L -c %s \"$2\")\" > \"$3\"",
            # torchhub_weights refuses URLs with quotes or backslashes.
            arguments = ["{\"url\":\"%s\",\"sha256\":\"%s\",\"bytes\":" % (url, sha256), f.path, rec.path],
            mnemonic = "TorchHubRecord",
        )
        lines.append("%s\tcheckpoints/.%s.source" % (rec.path, f.basename))
        inputs.append(rec)

    manifest = ctx.actions.declare_file(ctx.label.name + ".manifest")
    ctx.actions.write(manifest, "".join([line + "\n" for line in lines]))
    out = ctx.actions.declare_directory(ctx.label.name)
    ctx.actions.run_shell(
        outputs = [out],
        inputs = inputs + [manifest],
        command = _COPY_SCRIPT,
        arguments = [out.path, manifest.path],
        mnemonic = "TorchHubDir",
        progress_message = "Assembling the torch.hub dir %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

torchhub_hub_dir = rule(
    implementation = _torchhub_hub_dir_impl,
    doc = """A TORCH_HOME holding pinned repos and weights, as torch.hub lays it out.

The output is a directory `<name>/` with
  hub/<owner>_<name>_<ref>/...     each of `repos` (torchhub_repository's :repo)
  hub/checkpoints/<file_name>      each of `weights` (torchhub_weights' :file,
                                   or any single file, under its basename)
  hub/checkpoints/.<file>.source   torchhub-cpp's download record of each
  hub/trusted_list                 every repo's owner_name
Point TORCH_HOME at it (or `torchhub --hub-dir` / torch.hub.set_dir at its
`hub/`). torch.hub's list/help/load and load_state_dict_from_url, and
torchhub-cpp's libraries, read it without writing. It is a Bazel output,
marked read-only, but permissions don't stop a test running as root: keep
Python from writing bytecode (PYTHONDONTWRITEBYTECODE), and give a copy to
anything that writes (a download; `torchhub list`, which stores its
entrypoint cache in `hub/.torchhub-cpp/`, only warning where it can't).
""",
    attrs = {
        "repos": attr.label_list(providers = [TorchHubRepoInfo], doc = "torchhub_repository :repo targets"),
        "weights": attr.label_list(allow_files = True, doc = "torchhub_weights :file targets, or files"),
    },
)
