"""torchhub-cpp's hubconf runner: torch.hub's rules, run inside the embedded
interpreter (hub/hubconf/runner.h is the C++ side; this file is compiled into
it and imported as `_torchhub_runner`).

What torch.hub does, as torch/hub.py (1.13 and 2.x) does it:
  - hubconf.py is imported from its path under the module name 'hubconf.py',
    with the repo dir in front of sys.path while it is imported (and, for
    `load`, while the entrypoint runs);
  - list: the callables in dir(hubconf) whose names don't start with '_';
  - help: the `dependencies` check, then the entry's __doc__;
  - load: the `dependencies` check ("Missing dependencies: a, b"), the entry
    ("Cannot find callable X in hubconf"), then entry(*args, **kwargs).

Beyond it: each repo dir gets its own set of modules. While a repo is active
its modules are in sys.modules; when it is left they are taken out again and
kept with the repo, and whatever they had shadowed is put back. So two repos
with a `models` package, or two refs of one repo, load side by side in one
process; a hubconf that fails to import leaves nothing behind. Everything
here runs under one lock: sys.modules and sys.path are process-wide.
"""

import contextlib
import importlib.util
import io
import os
import sys
import threading

MODULE_HUBCONF = 'hubconf.py'
VAR_DEPENDENCY = 'dependencies'

# absl::StatusCode values, for errors that are answers rather than failures.
_INVALID_ARGUMENT = 3
_NOT_FOUND = 5
_FAILED_PRECONDITION = 9

_lock = threading.RLock()
_repos = {}


def _error(exc_type, message, code):
    e = exc_type(message)
    e._torchhub_code = code
    return e


def _signature(repo_dir):
    """What makes a cached hubconf stale: the dir or its hubconf.py replaced
    or changed (force_reload renames a new dir into place)."""
    d = os.stat(repo_dir)
    try:
        h = os.stat(os.path.join(repo_dir, MODULE_HUBCONF))
    except FileNotFoundError:
        raise _error(FileNotFoundError,
                     f'{repo_dir} has no {MODULE_HUBCONF}: not a hub repo', _NOT_FOUND)
    return (d.st_dev, d.st_ino, h.st_ino, h.st_mtime_ns, h.st_size)


class _Repo:
    """One repo dir's modules, kept out of sys.modules while it is not active."""

    def __init__(self, repo_dir, signature):
        self.dir = repo_dir
        self.prefix = os.path.join(repo_dir, '')
        self.signature = signature
        self.modules = {}
        self.hubconf = None
        self.depth = 0
        self.shadowed = {}

    def _from_here(self, module):
        f = getattr(module, '__file__', None)
        if isinstance(f, str) and f.startswith(self.prefix):
            return True
        path = getattr(module, '__path__', None)
        if path is not None:
            try:
                return any(isinstance(p, str) and p.startswith(self.prefix) for p in path)
            except Exception:
                return False
        return False

    def enter(self):
        if self.depth == 0:
            sys.path.insert(0, self.dir)
            self.shadowed = {}
            for name, module in self.modules.items():
                previous = sys.modules.get(name)
                if previous is not None and previous is not module:
                    self.shadowed[name] = previous
                sys.modules[name] = module
            if self.hubconf is not None:
                # So that inspect.getmodule finds what hubconf.py defines
                # while the repo is active.
                sys.modules[MODULE_HUBCONF] = self.hubconf
            self.modules = {}
            importlib.invalidate_caches()
        self.depth += 1

    def leave(self):
        self.depth -= 1
        if self.depth:
            return
        ours = {}
        for name, module in list(sys.modules.items()):
            if module is not None and self._from_here(module):
                ours[name] = module
        tops = {name.partition('.')[0] for name in ours}
        for name, module in list(sys.modules.items()):
            if name in ours or name.partition('.')[0] in tops:
                self.modules[name] = module
                del sys.modules[name]
        for name, module in self.shadowed.items():
            sys.modules.setdefault(name, module)
        self.shadowed = {}
        self.modules.pop(MODULE_HUBCONF, None)
        try:
            sys.path.remove(self.dir)
        except ValueError:
            pass  # the hubconf took it out itself


def _repo(repo_dir):
    signature = _signature(repo_dir)
    repo = _repos.get(repo_dir)
    if repo is None or repo.signature != signature:
        repo = _Repo(repo_dir, signature)
        _repos[repo_dir] = repo
    return repo


@contextlib.contextmanager
def _active(repo_dir):
    with _lock:
        repo = _repo(repo_dir)
        repo.enter()
        try:
            yield repo
        finally:
            repo.leave()


def _import_hubconf(repo):
    if repo.hubconf is None:
        path = os.path.join(repo.dir, MODULE_HUBCONF)
        try:
            spec = importlib.util.spec_from_file_location(MODULE_HUBCONF, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except BaseException:
            # Nothing of a failed import stays: the next call starts afresh.
            _repos.pop(repo.dir, None)
            repo.hubconf = None
            raise
        repo.hubconf = module
        sys.modules[MODULE_HUBCONF] = module
    return repo.hubconf


def _load_attr_from_module(module, func_name):
    if func_name not in dir(module):
        return None
    return getattr(module, func_name)


def _check_module_exists(name):
    return importlib.util.find_spec(name) is not None


def _check_dependencies(m):
    dependencies = _load_attr_from_module(m, VAR_DEPENDENCY)
    if dependencies is not None:
        missing_deps = [pkg for pkg in dependencies if not _check_module_exists(pkg)]
        if len(missing_deps):
            raise _error(RuntimeError, 'Missing dependencies: {}'.format(', '.join(missing_deps)),
                         _FAILED_PRECONDITION)


def _load_entry_from_hubconf(m, model):
    if not isinstance(model, str):
        raise _error(ValueError, 'Invalid input: model should be a string of function name',
                     _INVALID_ARGUMENT)
    _check_dependencies(m)
    func = _load_attr_from_module(m, model)
    if func is None or not callable(func):
        raise _error(RuntimeError, 'Cannot find callable {} in hubconf'.format(model), _NOT_FOUND)
    return func


def list_entrypoints(repo_dir):
    """torch.hub.list on a repo dir."""
    with _active(repo_dir) as repo:
        hub_module = _import_hubconf(repo)
    return [f for f in dir(hub_module) if callable(getattr(hub_module, f)) and not f.startswith('_')]


def entry_doc(repo_dir, model):
    """torch.hub.help on a repo dir: the docstring, or None."""
    with _active(repo_dir) as repo:
        hub_module = _import_hubconf(repo)
    entry = _load_entry_from_hubconf(hub_module, model)
    return entry.__doc__


def load(repo_dir, model, args, kwargs):
    """torch.hub._load_local."""
    with _active(repo_dir) as repo:
        hub_module = _import_hubconf(repo)
        entry = _load_entry_from_hubconf(hub_module, model)
        return entry(*args, **kwargs)


def describe(repo_dir):
    """Everything `list` and `help` can answer about a repo dir, plus what
    that answer depends on, for the on-disk entrypoint cache:
      entrypoints   list's answer
      docs          {name: __doc__ or None} for every callable in dir(hubconf)
      help_error    the dependencies check's error, or None
      sys_path      sys.path while hubconf was imported
      module_files  files of the modules loaded outside the repo
    """
    with _active(repo_dir) as repo:
        hub_module = _import_hubconf(repo)
        sys_path = list(sys.path)
    docs = {}
    for name in dir(hub_module):
        obj = getattr(hub_module, name)
        if callable(obj):
            doc = getattr(obj, '__doc__', None)
            docs[name] = doc if isinstance(doc, str) else None
    entrypoints = [f for f in docs if not f.startswith('_')]
    help_error = None
    try:
        _check_dependencies(hub_module)
    except Exception as e:
        help_error = f'{type(e).__name__}: {e}'
    files = set()
    for module in list(sys.modules.values()):
        f = getattr(module, '__file__', None)
        if isinstance(f, str) and not f.startswith(os.path.join(repo_dir, '')):
            files.add(f)
    return {
        'entrypoints': entrypoints,
        'docs': docs,
        'help_error': help_error,
        'sys_path': sys_path,
        'module_files': sorted(files),
    }


def call(repo_dir, obj, args, kwargs):
    """obj(*args, **kwargs) with obj's repo active (for lazy imports)."""
    if repo_dir:
        with _active(repo_dir):
            return obj(*args, **kwargs)
    return obj(*args, **kwargs)


def classify(obj):
    """How the C++ side receives a result."""
    torch = sys.modules.get('torch')
    if torch is None:  # nothing imported torch: no torch object can exist
        return 'object'
    if isinstance(obj, torch.nn.Module):
        return 'module'
    if isinstance(obj, torch.Tensor):
        return 'tensor'
    if isinstance(obj, dict) and obj and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()):
        return 'tensor_dict'
    return 'object'


def to_torchscript(repo_dir, obj, example_inputs):
    """obj as TorchScript bytes: as is when already scripted, else scripted,
    else traced with example_inputs. Returns (bytes, 'scripted'|'traced')."""
    import torch
    with contextlib.ExitStack() as stack:
        if repo_dir:
            stack.enter_context(_active(repo_dir))
        how = 'scripted'
        if isinstance(obj, torch.jit.ScriptModule):
            module = obj
        else:
            try:
                module = torch.jit.script(obj)
            except Exception as script_error:
                if example_inputs is None:
                    raise _error(
                        RuntimeError,
                        f'{type(obj).__name__} cannot be scripted ({type(script_error).__name__}: '
                        f'{_first_line(script_error)}); give example inputs to trace it instead',
                        _FAILED_PRECONDITION) from script_error
                try:
                    module = torch.jit.trace(obj, tuple(example_inputs))
                except Exception as trace_error:
                    raise _error(
                        RuntimeError,
                        f'{type(obj).__name__} can be neither scripted ({type(script_error).__name__}:'
                        f' {_first_line(script_error)}) nor traced with the example inputs '
                        f'({type(trace_error).__name__}: {_first_line(trace_error)})',
                        _FAILED_PRECONDITION) from trace_error
                how = 'traced'
        buffer = io.BytesIO()
        torch.jit.save(module, buffer)
        return buffer.getvalue(), how


def _first_line(e):
    text = str(e).strip()
    return text.splitlines()[0] if text else ''


def to_value(obj):
    """obj as plain data (None, bool, int, float, str, list, dict with str
    keys, tensors), or TypeError naming what can't be converted."""
    torch = sys.modules.get('torch')
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if torch is not None and isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, (list, tuple)):
        return [to_value(x) for x in obj]
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f'cannot convert a dict with a {type(k).__name__} key to a value')
            out[k] = to_value(v)
        return out
    raise TypeError(f'cannot convert a {type(obj).__module__}.{type(obj).__qualname__} to a value')
