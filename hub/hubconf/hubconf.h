// The hubconf runner: torch.hub's list, help and load on a repo dir, through
// embedded CPython, with the results handed to C++.
//
//   HUB_ASSIGN_OR_RETURN(std::vector<std::string> names, hub::ListEntrypoints(dir));
//   HUB_ASSIGN_OR_RETURN(std::optional<std::string> doc, hub::EntrypointDoc(dir, "resnet18"));
//
//   hub::HubArgs args;
//   args.kwargs.emplace_back("num_classes", hub::HubValue(int64_t{10}));
//   HUB_ASSIGN_OR_RETURN(hub::LoadedEntry e, hub::LoadEntrypoint(dir, "resnet18", args));
//   e.module->forward({torch::ones({1, 3, 224, 224})});  // no Python involved
//
// What an entrypoint returns arrives as:
//   - an nn.Module: a TorchScript torch::jit::Module that runs with no Python
//     (scripted; else traced with LoadOptions::example_inputs; else an error
//     saying both failed), unless LoadOptions::torchscript is off;
//   - a tensor, or a dict of str -> tensor (a state dict): at::Tensors that
//     share memory with Python's, not copies;
//   - anything else (a tokenizer, a transform, a number): a PyObjectHandle
//     that can be called, inspected, printed and converted to a HubValue.
// The Python object itself is always in LoadedEntry::object.
//
// torch.hub's rules are kept exactly (shared/SPEC.md "Running hubconf"):
// hubconf.py imported under the name 'hubconf.py' with the repo dir in front
// of sys.path; list = callables in dir(hubconf) not starting with '_'; help
// and load check `dependencies` ("Missing dependencies: a, b"); a missing or
// non-callable entry is "Cannot find callable X in hubconf". `list` and
// `help` work on any directory (torch.hub's take only GitHub repos).
//
// Beyond torch.hub: each repo dir keeps its own modules (two repos with a
// `models` package, or two refs of one repo, load side by side); a hubconf
// that fails to import leaves nothing behind; a hubconf is imported once per
// process and again only when its file or dir changes.
//
// Errors: a Python exception becomes a Status with its type, message and
// traceback: "Missing dependencies" -> kFailedPrecondition, "Cannot find
// callable" -> kNotFound, ImportError -> kFailedPrecondition, ValueError /
// TypeError -> kInvalidArgument, others kUnknown. A dir without hubconf.py
// is kNotFound.
//
// Thread-safety: every function may be called from any thread. Python runs
// one hubconf operation at a time (sys.modules is process-wide); the GIL is
// held only while Python runs, not while TorchScript is loaded in C++.
// Python is started on the first call (hub/hubconf/python_runtime.h), with
// PythonConfig::FromEnvironment(); call hub::EnsurePythonStarted(config)
// first to choose the interpreter, its home or extra sys.path entries.
#ifndef HUB_HUBCONF_HUBCONF_H_
#define HUB_HUBCONF_HUBCONF_H_

#include <ATen/core/Tensor.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/hubconf/entry_cache.h"

// Python's object type, without Python.h in this header.
struct _object;

namespace hub {

class PyObjectHandle;

// A value passed to an entrypoint, or read back from Python: None, bool,
// int, float, str, list, dict (str keys, order kept), a tensor, or a Python
// object from an earlier call.
class HubValue {
 public:
  using List = std::vector<HubValue>;
  using Dict = std::vector<std::pair<std::string, HubValue>>;
  using Variant = std::variant<std::monostate, bool, int64_t, double, std::string, List, Dict,
                               at::Tensor, std::shared_ptr<PyObjectHandle>>;

  HubValue() = default;  // None
  HubValue(bool b) : v_(b) {}
  HubValue(int64_t i) : v_(i) {}
  HubValue(int i) : v_(static_cast<int64_t>(i)) {}
  HubValue(double d) : v_(d) {}
  HubValue(std::string s) : v_(std::move(s)) {}
  HubValue(const char* s) : v_(std::string(s)) {}
  HubValue(List l) : v_(std::move(l)) {}
  HubValue(Dict d) : v_(std::move(d)) {}
  HubValue(at::Tensor t) : v_(std::move(t)) {}
  HubValue(const PyObjectHandle& object);

  bool is_none() const { return std::holds_alternative<std::monostate>(v_); }
  const Variant& variant() const { return v_; }
  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&v_);
  }

  // Python's repr of the value ("None", "True", "[1, 'a']", "tensor(...)"
  // shown as "<tensor float32 [2, 3]>").
  std::string DebugString() const;

 private:
  Variant v_;
};

// Parses a command-line value: JSON (numbers, true/false/null, "strings",
// [lists], {dicts}), Python's True/False/None, and anything else as a plain
// string (so weights=ResNet18_Weights.DEFAULT passes the text).
HubValue ParseHubValue(absl::string_view text);

struct HubArgs {
  std::vector<HubValue> args;
  std::vector<std::pair<std::string, HubValue>> kwargs;
};

// An owned reference to a Python object. Copies share the reference; the
// last one releases it (taking the GIL). Calls run with the object's repo
// active, so code that imports lazily finds the repo's modules.
class PyObjectHandle {
 public:
  PyObjectHandle() = default;

  bool valid() const { return holder_ != nullptr; }
  // "module.QualName" of the object's type.
  std::string TypeName() const;
  std::string Repr() const;
  std::string Str() const;
  bool HasAttr(absl::string_view name) const;
  bool IsCallable() const;

  absl::StatusOr<PyObjectHandle> GetAttr(absl::string_view name) const;
  absl::StatusOr<PyObjectHandle> Call(const HubArgs& args) const;
  absl::StatusOr<PyObjectHandle> CallMethod(absl::string_view name, const HubArgs& args) const;
  // The object as plain data, tensors shared; kInvalidArgument naming the
  // type that has no plain form.
  absl::StatusOr<HubValue> ToValue() const;

  // For code that uses Python's C API itself: a borrowed reference, valid
  // while this handle lives; hold the GIL (hub::GilLock) to use it.
  _object* borrowed() const;

  // Takes a new reference to `object` (the GIL must be held).
  static PyObjectHandle FromBorrowed(_object* object, std::string repo_dir);
  const std::string& repo_dir() const;

 private:
  struct Holder;
  std::shared_ptr<Holder> holder_;
};

struct LoadOptions {
  // Turn an nn.Module into TorchScript (else it comes back as an object).
  bool torchscript = true;
  // Tracing inputs for modules that don't script; none: scripting only.
  std::optional<std::vector<at::Tensor>> example_inputs;
  // With torchscript: the module comes back as its TorchScript archive
  // (LoadedEntry::torchscript_archive, as torch.jit.save writes it), not
  // loaded in this process (LoadedEntry::module stays empty). The sandbox's
  // worker sends the archive on; loading and checking it is the parent's
  // work (hub/sandbox/load.h).
  bool torchscript_archive = false;
};

struct LoadedEntry {
  enum class Kind { kModule, kTensor, kTensorDict, kObject };
  Kind kind = Kind::kObject;
  std::optional<torch::jit::Module> module;                 // kModule
  std::string torchscript_archive;                          // kModule, when asked for instead
  std::string torchscript_method;                           // "scripted" or "traced"
  at::Tensor tensor;                                        // kTensor
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // kTensorDict, in order
  // The Python object: always, except from a sandboxed load (hub/sandbox),
  // where it stayed in the worker.
  PyObjectHandle object;
  std::string type_name;          // its type, "module.QualName": always
  std::optional<HubValue> value;  // kObject from a sandboxed load: the plain data
};

// torch.hub.list on `repo_dir`.
absl::StatusOr<std::vector<std::string>> ListEntrypoints(absl::string_view repo_dir);

// torch.hub.help: the entry's docstring; nullopt when it has none.
absl::StatusOr<std::optional<std::string>> EntrypointDoc(absl::string_view repo_dir,
                                                         absl::string_view entry);

// torch.hub.load(repo_dir, entry, *args, source='local', **kwargs).
absl::StatusOr<LoadedEntry> LoadEntrypoint(absl::string_view repo_dir, absl::string_view entry,
                                           const HubArgs& args = {},
                                           const LoadOptions& options = {});

// An nn.Module (or a ScriptModule) held in Python as TorchScript; see
// LoadOptions for the rule.
absl::StatusOr<torch::jit::Module> ToTorchScript(
    const PyObjectHandle& module,
    const std::optional<std::vector<at::Tensor>>& example_inputs = std::nullopt,
    std::string* method = nullptr);

// The same as the archive torch.jit.save writes, not loaded.
absl::StatusOr<std::string> ToTorchScriptArchive(
    const PyObjectHandle& module,
    const std::optional<std::vector<at::Tensor>>& example_inputs = std::nullopt,
    std::string* method = nullptr);

// What list and help can answer about a repo dir, and what the answer
// depends on (hub/hubconf/entry_cache.h keeps it on disk).
absl::StatusOr<HubconfDescription> DescribeHubconf(absl::string_view repo_dir);

// The same from the entrypoint cache (EntryCache::DefaultDir()) when it holds
// a current answer, without starting Python; else DescribeHubconf, and the
// answer stored (a failure to store is only a warning). `from_cache` says
// which.
absl::StatusOr<HubconfDescription> DescribeHubconfCached(absl::string_view repo_dir,
                                                         bool* from_cache = nullptr);

}  // namespace hub

#endif  // HUB_HUBCONF_HUBCONF_H_
