"""Answers questions about Python's torch.hub for the compatibility tests.

Run under /usr/bin/python3 (Debian's torch). Reads one case per line on
stdin, writes one answer per line on stdout, in the order given. Strings
cross as hex so that any bytes survive (str values use surrogateescape).
Nothing reaches the network: torch.hub's URL calls are replaced.

  torch_hub_oracle.py parse     REPO_HEX
      -> OK <owner> <name> <ref or -> <repo_dir or !ErrorType>  |  ERR <ErrorType>
         repo_dir is what torch.hub's own _get_cache_or_reload returns for the
         string (default-branch probe answered "main", download faked),
         relative to the hub dir.
  torch_hub_oracle.py get_dir   SETDIR HOME TORCH_HOME XDG_CACHE_HOME TORCH_HUB
      (each hex, or - for unset)  -> <dir> <warnings joined by \\n>
  torch_hub_oracle.py basename  URL_HEX  -> OK <basename> | ERR <ErrorType>
  torch_hub_oracle.py trust     REPO_HEX TRUSTED_LIST_HEX_OR_- LEGACY_DIRS_HEX(comma sep)
      -> <TRUSTED|ASKED> <prompt or -> <trusted_list after trust_repo=True or ->
  torch_hub_oracle.py texts     CALLING_FN_HEX -> <trust prompt for a_b> <None warning>
"""

import builtins
import io
import os
import shutil
import sys
import tempfile
import warnings
import zipfile
from urllib.parse import urlparse

import torch.hub as hub


def h(s):
    return s.encode("utf-8", "surrogateescape").hex()


def u(x):
    return bytes.fromhex(x).decode("utf-8", "surrogateescape")


class _ProbeOk:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def _no_network(*args, **kwargs):
    return _ProbeOk()


def _fake_download(url, dst, hash_prefix=None, progress=True):
    with zipfile.ZipFile(dst, "w") as z:
        z.writestr("owner-repo-0123456/hubconf.py", "dependencies = []\n")


def parse(fields, hub_dir):
    s = u(fields[0])
    try:
        owner, name, ref = hub._parse_repo_info(s)
    except Exception as e:
        return ["ERR", type(e).__name__]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            repo_dir = hub._get_cache_or_reload(s, True, True, "load", verbose=False,
                                                skip_validation=True)
        case_dir = hub.get_dir()
        if repo_dir.startswith(case_dir + "/"):
            repo_dir = h(repo_dir[len(case_dir) + 1:])
        else:
            repo_dir = "!Escaped:" + h(repo_dir)
    except Exception as e:
        repo_dir = "!" + type(e).__name__
    return ["OK", h(owner), h(name), "-" if ref is None else h(ref), repo_dir]


def get_dir(fields, hub_dir):
    set_dir = fields[0]
    for var, value in zip(("HOME", "TORCH_HOME", "XDG_CACHE_HOME", "TORCH_HUB"), fields[1:]):
        if value == "-":
            os.environ.pop(var, None)
        else:
            os.environ[var] = u(value)
    hub._hub_dir = None
    if set_dir != "-":
        hub.set_dir(u(set_dir))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = hub.get_dir()
    return [h(d), h("\n".join(str(w.message) for w in caught))]


def basename(fields, hub_dir):
    try:
        return ["OK", h(os.path.basename(urlparse(u(fields[0])).path))]
    except Exception as e:
        return ["ERR", type(e).__name__]


class _Asked(Exception):
    pass


def trust(fields, hub_dir):
    repo, trusted_list, legacy = u(fields[0]), fields[1], fields[2]
    case_dir = tempfile.mkdtemp(dir=hub_dir)
    hub.set_dir(case_dir)
    path = os.path.join(case_dir, "trusted_list")
    if trusted_list != "-":
        with open(path, "wb") as f:
            f.write(bytes.fromhex(trusted_list))
    for d in legacy.split(","):
        if d:
            os.makedirs(os.path.join(case_dir, u(d)))
    owner, name, ref = hub._parse_repo_info(repo)
    owner_name_branch = "_".join([owner, name, ref.replace("/", "_")])
    asked = []

    def fake_input(prompt):
        asked.append(prompt)
        raise _Asked()

    real_input = builtins.input
    builtins.input = fake_input
    try:
        try:
            hub._check_repo_is_trusted(owner, name, owner_name_branch, trust_repo="check")
            verdict = "TRUSTED"
        except _Asked:
            verdict = "ASKED"
        hub._check_repo_is_trusted(owner, name, owner_name_branch, trust_repo=True)
    finally:
        builtins.input = real_input
    with open(path, "rb") as f:
        after = f.read().hex() or "-"
    return [verdict, h(asked[0]) if asked else "-", after]


def texts(fields, hub_dir):
    calling_fn = u(fields[0])
    case_dir = tempfile.mkdtemp(dir=hub_dir)
    hub.set_dir(case_dir)
    prompts = []

    def fake_input(prompt):
        prompts.append(prompt)
        return "n"

    real_input = builtins.input
    builtins.input = fake_input
    try:
        try:
            hub._check_repo_is_trusted("a", "b", "a_b_main", trust_repo="check",
                                       calling_fn=calling_fn)
        except Exception:
            pass
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hub._check_repo_is_trusted("a", "b", "a_b_main", trust_repo=None,
                                       calling_fn=calling_fn)
    finally:
        builtins.input = real_input
    return [h(prompts[0]), h(str(caught[0].message))]


def main():
    command = {"parse": parse, "get_dir": get_dir, "basename": basename, "trust": trust,
               "texts": texts}[sys.argv[1]]
    hub.urlopen = _no_network
    hub.download_url_to_file = _fake_download
    hub_dir = tempfile.mkdtemp()
    saved_env = dict(os.environ)
    hub.set_dir(hub_dir)
    out = []
    for line in sys.stdin.read().splitlines():
        if command is parse:
            case_dir = tempfile.mkdtemp(dir=hub_dir)
            hub.set_dir(case_dir)
        out.append("\t".join(command(line.split("\t"), hub_dir)))
        os.environ.clear()
        os.environ.update(saved_env)
    shutil.rmtree(hub_dir, ignore_errors=True)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
