#include "hub/hubconf/hubconf.h"

#include <Python.h>
#include <c10/util/Exception.h>
#include <c10/util/MaybeOwned.h>
#include <torch/csrc/jit/serialization/import.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <istream>
#include <mutex>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
#include "hub/fs/files.h"
#include "hub/hubconf/python_runtime.h"

// libtorch_python 1.13's tensor bridge. Its header needs pybind11, which
// Debian doesn't ship with torch, so the two entry points are declared here
// with the layout of torch/csrc/autograd/python_variable.h.
PyObject* THPVariable_Wrap(at::TensorBase var);
extern PyObject* THPVariableClass;

namespace hub {
namespace {

struct TorchPythonVariable {
  PyObject_HEAD c10::MaybeOwned<at::Tensor> cdata;
  PyObject* backward_hooks;
};

// The embedded runner source (hub/hubconf/runner.py).
constexpr char kRunnerSource[] =
#include "hub/hubconf/runner_py.inc"
    ;

// The runner module, imported once. Needs the GIL.
absl::StatusOr<PyObject*> Runner() {
  static PyObject* runner = nullptr;
  if (runner != nullptr) return runner;
  PyRef code(Py_CompileString(kRunnerSource, "<torchhub>/hub/hubconf/runner.py", Py_file_input));
  if (!code) return TakePythonError("compiling the hubconf runner");
  PyRef module(PyImport_ExecCodeModule("_torchhub_runner", code.get()));
  if (!module) return TakePythonError("starting the hubconf runner");
  runner = module.release();
  return runner;
}

// Python started and the GIL held, for the life of the object.
class PythonCall {
 public:
  static absl::StatusOr<std::unique_ptr<PythonCall>> Begin() {
    HUB_RETURN_IF_ERROR(EnsurePythonStarted());
    return std::unique_ptr<PythonCall>(new PythonCall());
  }

 private:
  PythonCall() = default;
  GilLock gil_;
};

absl::Status EnsureTorchImported() {
  static bool imported = false;
  if (imported) return absl::OkStatus();
  PyRef torch(PyImport_ImportModule("torch"));
  if (!torch) return TakePythonError("importing torch");
  imported = THPVariableClass != nullptr;
  if (!imported) return absl::InternalError("torch imported but its tensor class is not set");
  return absl::OkStatus();
}

bool IsTensor(PyObject* object) {
  if (THPVariableClass == nullptr) return false;
  const int r = PyObject_IsInstance(object, THPVariableClass);
  if (r < 0) PyErr_Clear();
  return r == 1;
}

const at::Tensor& UnpackTensor(PyObject* object) {
  return *reinterpret_cast<TorchPythonVariable*>(object)->cdata;
}

// runner.<function>(*args); needs the GIL.
absl::StatusOr<PyRef> CallRunner(const char* function, const PyRef& args,
                                 absl::string_view context) {
  HUB_ASSIGN_OR_RETURN(PyObject * runner, Runner());
  PyRef fn(PyObject_GetAttrString(runner, function));
  if (!fn) return TakePythonError(context);
  if (!args) return TakePythonError(context);
  PyRef result(PyObject_CallObject(fn.get(), args.get()));
  if (!result) return TakePythonError(context);
  return result;
}

PyRef PyString(absl::string_view s) {
  return PyRef(
      PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape"));
}

// A path for Python, as Python names one (os.fsdecode): bytes that are not
// UTF-8 become surrogate escapes, so open() and os.stat() get them back.
// A new reference, for Py_BuildValue's "N".
PyObject* FsPath(const std::string& path) { return PyUnicode_DecodeFSDefault(path.c_str()); }

// surrogateescape: the inverse of PyString and FsPath, so a path that is not
// UTF-8 comes back as the bytes it was.
absl::StatusOr<std::string> Utf8(PyObject* s, absl::string_view what) {
  PyRef bytes(PyUnicode_AsEncodedString(s, "utf-8", "surrogateescape"));
  if (!bytes) return TakePythonError(what);
  return std::string(PyBytes_AS_STRING(bytes.get()),
                     static_cast<size_t>(PyBytes_GET_SIZE(bytes.get())));
}

absl::StatusOr<PyRef> ToPython(const HubValue& value);

absl::StatusOr<PyRef> ToPython(const HubValue::Dict& dict) {
  PyRef out(PyDict_New());
  for (const auto& [key, v] : dict) {
    HUB_ASSIGN_OR_RETURN(PyRef item, ToPython(v));
    PyRef k = PyString(key);
    if (!k || PyDict_SetItem(out.get(), k.get(), item.get()) != 0) {
      return TakePythonError("converting an argument");
    }
  }
  return out;
}

absl::StatusOr<PyRef> ToPython(const HubValue& value) {
  const HubValue::Variant& v = value.variant();
  if (std::holds_alternative<std::monostate>(v)) return PyRef::Borrow(Py_None);
  if (const bool* b = std::get_if<bool>(&v)) return PyRef::Borrow(*b ? Py_True : Py_False);
  if (const int64_t* i = std::get_if<int64_t>(&v)) return PyRef(PyLong_FromLongLong(*i));
  if (const double* d = std::get_if<double>(&v)) return PyRef(PyFloat_FromDouble(*d));
  if (const std::string* s = std::get_if<std::string>(&v)) {
    PyRef r = PyString(*s);
    if (!r) return TakePythonError("converting a string argument");
    return r;
  }
  if (const HubValue::List* l = std::get_if<HubValue::List>(&v)) {
    PyRef out(PyList_New(static_cast<Py_ssize_t>(l->size())));
    for (size_t i = 0; i < l->size(); ++i) {
      HUB_ASSIGN_OR_RETURN(PyRef item, ToPython((*l)[i]));
      PyList_SET_ITEM(out.get(), static_cast<Py_ssize_t>(i), item.release());
    }
    return out;
  }
  if (const HubValue::Dict* d = std::get_if<HubValue::Dict>(&v)) return ToPython(*d);
  if (const at::Tensor* t = std::get_if<at::Tensor>(&v)) {
    HUB_RETURN_IF_ERROR(EnsureTorchImported());
    PyRef r(THPVariable_Wrap(*t));
    if (!r) return TakePythonError("passing a tensor to Python");
    return r;
  }
  const auto& handle = std::get<std::shared_ptr<PyObjectHandle>>(v);
  if (handle == nullptr || !handle->valid()) {
    return absl::InvalidArgumentError("an argument is an empty Python object handle");
  }
  return PyRef::Borrow(handle->borrowed());
}

absl::StatusOr<std::pair<PyRef, PyRef>> ToPython(const HubArgs& args) {
  PyRef tuple(PyTuple_New(static_cast<Py_ssize_t>(args.args.size())));
  for (size_t i = 0; i < args.args.size(); ++i) {
    HUB_ASSIGN_OR_RETURN(PyRef item, ToPython(args.args[i]));
    PyTuple_SET_ITEM(tuple.get(), static_cast<Py_ssize_t>(i), item.release());
  }
  HUB_ASSIGN_OR_RETURN(PyRef kwargs, ToPython(args.kwargs));
  return std::make_pair(std::move(tuple), std::move(kwargs));
}

// A plain Python value (what runner.to_value returns) as a HubValue.
absl::StatusOr<HubValue> FromPython(PyObject* o) {
  if (o == Py_None) return HubValue();
  if (PyBool_Check(o)) return HubValue(o == Py_True);
  if (PyLong_Check(o)) {
    int overflow = 0;
    const int64_t i = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow != 0) {
      return absl::OutOfRangeError(
          absl::StrCat("the Python int ", PyStr(o), " does not fit in 64 bits"));
    }
    return HubValue(static_cast<int64_t>(i));
  }
  if (PyFloat_Check(o)) return HubValue(PyFloat_AsDouble(o));
  if (PyUnicode_Check(o)) {
    HUB_ASSIGN_OR_RETURN(std::string s, Utf8(o, "reading a string"));
    return HubValue(std::move(s));
  }
  if (PyList_Check(o)) {
    HubValue::List list;
    for (Py_ssize_t i = 0; i < PyList_Size(o); ++i) {
      HUB_ASSIGN_OR_RETURN(HubValue item, FromPython(PyList_GetItem(o, i)));
      list.push_back(std::move(item));
    }
    return HubValue(std::move(list));
  }
  if (PyDict_Check(o)) {
    HubValue::Dict dict;
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(o, &pos, &key, &value)) {
      HUB_ASSIGN_OR_RETURN(std::string k, Utf8(key, "reading a dict key"));
      HUB_ASSIGN_OR_RETURN(HubValue v, FromPython(value));
      dict.emplace_back(std::move(k), std::move(v));
    }
    return HubValue(std::move(dict));
  }
  if (IsTensor(o)) return HubValue(UnpackTensor(o));
  return absl::InvalidArgumentError(
      absl::StrCat("cannot convert a ", Py_TYPE(o)->tp_name, " to a value"));
}

// Reads TorchScript straight from a Python bytes object, no copy.
class BytesStreambuf : public std::streambuf {
 public:
  BytesStreambuf(char* data, size_t size) { setg(data, data, data + size); }

 protected:
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    char* base = dir == std::ios_base::beg ? eback() : dir == std::ios_base::cur ? gptr() : egptr();
    char* target = base + off;
    if (target < eback() || target > egptr()) return pos_type(off_type(-1));
    setg(eback(), target, egptr());
    return pos_type(target - eback());
  }
  pos_type seekpos(pos_type pos, std::ios_base::openmode mode) override {
    return seekoff(off_type(pos), std::ios_base::beg, mode);
  }
};

absl::StatusOr<std::string> CanonicalDir(absl::string_view repo_dir) {
  return RealPath(repo_dir, absl::StrCat("hub repo dir ", repo_dir));
}

absl::StatusOr<std::vector<std::string>> StringList(PyObject* list, absl::string_view what) {
  std::vector<std::string> out;
  if (!PyList_Check(list)) return absl::InternalError(absl::StrCat(what, " is not a list"));
  for (Py_ssize_t i = 0; i < PyList_Size(list); ++i) {
    HUB_ASSIGN_OR_RETURN(std::string s, Utf8(PyList_GetItem(list, i), what));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

// --- HubValue ---------------------------------------------------------------

HubValue::HubValue(const PyObjectHandle& object) : v_(std::make_shared<PyObjectHandle>(object)) {}

std::string HubValue::DebugString() const {
  struct Printer {
    std::string operator()(std::monostate) const { return "None"; }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double d) const { return absl::StrCat(d); }
    std::string operator()(const std::string& s) const { return absl::StrCat("'", s, "'"); }
    std::string operator()(const List& l) const {
      std::vector<std::string> parts;
      for (const HubValue& v : l) parts.push_back(v.DebugString());
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
    std::string operator()(const Dict& d) const {
      std::vector<std::string> parts;
      for (const auto& [k, v] : d) parts.push_back(absl::StrCat("'", k, "': ", v.DebugString()));
      return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
    }
    std::string operator()(const at::Tensor& t) const {
      if (!t.defined()) return "<undefined tensor>";
      return absl::StrCat("<tensor ", std::string(t.dtype().name()), " [",
                          absl::StrJoin(t.sizes(), ", "), "]>");
    }
    std::string operator()(const std::shared_ptr<PyObjectHandle>& h) const {
      return h && h->valid() ? h->Repr() : "<empty handle>";
    }
  };
  return std::visit(Printer{}, v_);
}

HubValue ParseHubValue(absl::string_view text) {
  if (text == "None") return HubValue();
  if (text == "True") return HubValue(true);
  if (text == "False") return HubValue(false);
  int64_t i = 0;
  if (absl::SimpleAtoi(text, &i)) return HubValue(i);
  absl::StatusOr<JsonValue> json = ParseJson(text);
  if (!json.ok()) return HubValue(std::string(text));
  struct Convert {
    HubValue operator()(const JsonValue& j) const {
      switch (j.type()) {
        case JsonValue::Type::kNull:
          return HubValue();
        case JsonValue::Type::kBool:
          return HubValue(j.bool_value());
        case JsonValue::Type::kNumber: {
          const double d = j.number_value();
          if (std::floor(d) == d && std::fabs(d) < 9007199254740992.0) {
            return HubValue(static_cast<int64_t>(d));
          }
          return HubValue(d);
        }
        case JsonValue::Type::kString:
          return HubValue(j.string_value());
        case JsonValue::Type::kArray: {
          HubValue::List l;
          for (const JsonValue& e : j.array()) l.push_back((*this)(e));
          return HubValue(std::move(l));
        }
        case JsonValue::Type::kObject: {
          HubValue::Dict d;
          for (const auto& [k, v] : j.members()) d.emplace_back(k, (*this)(v));
          return HubValue(std::move(d));
        }
      }
      return HubValue();
    }
  };
  // "1.5" and "1e3" are floats; "1.0" stays a float too, as Python reads it.
  if (json->is_number()) {
    double d = 0;
    if (absl::SimpleAtod(text, &d)) return HubValue(d);
  }
  return Convert{}(*json);
}

// --- PyObjectHandle ---------------------------------------------------------

struct PyObjectHandle::Holder {
  Holder(PyObject* o, std::string dir) : object(o), repo_dir(std::move(dir)) {}
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
  ~Holder() {
    GilLock gil;
    Py_XDECREF(object);
  }
  PyObject* object;
  std::string repo_dir;
};

PyObjectHandle PyObjectHandle::FromBorrowed(_object* object, std::string repo_dir) {
  Py_XINCREF(object);
  PyObjectHandle h;
  h.holder_ = std::make_shared<Holder>(object, std::move(repo_dir));
  return h;
}

_object* PyObjectHandle::borrowed() const { return holder_ ? holder_->object : nullptr; }

const std::string& PyObjectHandle::repo_dir() const {
  static const std::string* const kEmpty = new std::string();
  return holder_ ? holder_->repo_dir : *kEmpty;
}

std::string PyObjectHandle::TypeName() const {
  if (!valid()) return "<empty handle>";
  GilLock gil;
  PyTypeObject* type = Py_TYPE(holder_->object);
  PyRef module(PyObject_GetAttrString(reinterpret_cast<PyObject*>(type), "__module__"));
  PyRef qualname(PyObject_GetAttrString(reinterpret_cast<PyObject*>(type), "__qualname__"));
  PyErr_Clear();
  if (!module || !qualname) return type->tp_name;
  const std::string m = PyStr(module.get());
  return m == "builtins" ? PyStr(qualname.get()) : absl::StrCat(m, ".", PyStr(qualname.get()));
}

std::string PyObjectHandle::Repr() const {
  if (!valid()) return "<empty handle>";
  GilLock gil;
  PyRef r(PyObject_Repr(holder_->object));
  if (!r) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return PyStr(r.get());
}

std::string PyObjectHandle::Str() const {
  if (!valid()) return "<empty handle>";
  GilLock gil;
  return PyStr(holder_->object);
}

bool PyObjectHandle::HasAttr(absl::string_view name) const {
  if (!valid()) return false;
  GilLock gil;
  PyRef n = PyString(name);
  const int r = n ? PyObject_HasAttr(holder_->object, n.get()) : 0;
  PyErr_Clear();
  return r == 1;
}

bool PyObjectHandle::IsCallable() const {
  if (!valid()) return false;
  GilLock gil;
  return PyCallable_Check(holder_->object) == 1;
}

absl::StatusOr<PyObjectHandle> PyObjectHandle::GetAttr(absl::string_view name) const {
  if (!valid()) return absl::FailedPreconditionError("GetAttr on an empty Python object handle");
  GilLock gil;
  PyRef n = PyString(name);
  PyRef attr(n ? PyObject_GetAttr(holder_->object, n.get()) : nullptr);
  if (!attr) return TakePythonError(absl::StrCat("reading attribute \"", name, "\""));
  return FromBorrowed(attr.get(), holder_->repo_dir);
}

absl::StatusOr<PyObjectHandle> PyObjectHandle::Call(const HubArgs& args) const {
  if (!valid()) return absl::FailedPreconditionError("Call on an empty Python object handle");
  GilLock gil;
  HUB_ASSIGN_OR_RETURN(auto py_args, ToPython(args));
  PyRef call_args(Py_BuildValue("(NOOO)", FsPath(holder_->repo_dir), holder_->object,
                                py_args.first.get(), py_args.second.get()));
  HUB_ASSIGN_OR_RETURN(PyRef result, CallRunner("call", call_args,
                                                absl::StrCat("calling ", PyStr(holder_->object))));
  return FromBorrowed(result.get(), holder_->repo_dir);
}

absl::StatusOr<PyObjectHandle> PyObjectHandle::CallMethod(absl::string_view name,
                                                          const HubArgs& args) const {
  HUB_ASSIGN_OR_RETURN(PyObjectHandle method, GetAttr(name));
  return method.Call(args);
}

absl::StatusOr<HubValue> PyObjectHandle::ToValue() const {
  if (!valid()) return absl::FailedPreconditionError("ToValue on an empty Python object handle");
  GilLock gil;
  HUB_ASSIGN_OR_RETURN(PyRef plain,
                       CallRunner("to_value", PyRef(Py_BuildValue("(O)", holder_->object)),
                                  "converting a Python result"));
  return FromPython(plain.get());
}

// --- list, help, load -------------------------------------------------------

absl::StatusOr<std::vector<std::string>> ListEntrypoints(absl::string_view repo_dir) {
  HUB_ASSIGN_OR_RETURN(std::string dir, CanonicalDir(repo_dir));
  HUB_ASSIGN_OR_RETURN(auto call, PythonCall::Begin());
  HUB_ASSIGN_OR_RETURN(PyRef names,
                       CallRunner("list_entrypoints", PyRef(Py_BuildValue("(N)", FsPath(dir))),
                                  absl::StrCat("listing the entrypoints of ", dir)));
  return StringList(names.get(), "the entrypoint list");
}

absl::StatusOr<std::optional<std::string>> EntrypointDoc(absl::string_view repo_dir,
                                                         absl::string_view entry) {
  HUB_ASSIGN_OR_RETURN(std::string dir, CanonicalDir(repo_dir));
  HUB_ASSIGN_OR_RETURN(auto call, PythonCall::Begin());
  PyRef name = PyString(entry);
  HUB_ASSIGN_OR_RETURN(
      PyRef doc, CallRunner("entry_doc", PyRef(Py_BuildValue("(NO)", FsPath(dir), name.get())),
                            absl::StrCat("reading the docstring of ", entry, " in ", dir)));
  if (doc.get() == Py_None) return std::optional<std::string>();
  if (!PyUnicode_Check(doc.get())) return std::optional<std::string>(PyStr(doc.get()));
  HUB_ASSIGN_OR_RETURN(std::string text, Utf8(doc.get(), "reading a docstring"));
  return std::optional<std::string>(std::move(text));
}

absl::StatusOr<HubconfDescription> DescribeHubconf(absl::string_view repo_dir) {
  HUB_ASSIGN_OR_RETURN(std::string dir, CanonicalDir(repo_dir));
  HUB_ASSIGN_OR_RETURN(auto call, PythonCall::Begin());
  HUB_ASSIGN_OR_RETURN(PyRef d, CallRunner("describe", PyRef(Py_BuildValue("(N)", FsPath(dir))),
                                           absl::StrCat("reading the hubconf of ", dir)));
  HubconfDescription out;
  auto item = [&](const char* key) { return PyDict_GetItemString(d.get(), key); };
  HUB_ASSIGN_OR_RETURN(out.entrypoints, StringList(item("entrypoints"), "entrypoints"));
  HUB_ASSIGN_OR_RETURN(out.sys_path, StringList(item("sys_path"), "sys.path"));
  HUB_ASSIGN_OR_RETURN(out.module_files, StringList(item("module_files"), "module files"));
  if (PyObject* e = item("help_error"); e != nullptr && e != Py_None) {
    HUB_ASSIGN_OR_RETURN(out.help_error, Utf8(e, "the dependencies error"));
  }
  PyObject* key = nullptr;
  PyObject* value = nullptr;
  Py_ssize_t pos = 0;
  while (PyDict_Next(item("docs"), &pos, &key, &value)) {
    HUB_ASSIGN_OR_RETURN(std::string name, Utf8(key, "an entry name"));
    std::optional<std::string> doc;
    if (value != Py_None) {
      HUB_ASSIGN_OR_RETURN(doc, Utf8(value, "a docstring"));
    }
    out.docs.emplace_back(std::move(name), std::move(doc));
  }
  return out;
}

absl::StatusOr<HubconfDescription> DescribeHubconfCached(absl::string_view repo_dir,
                                                         bool* from_cache) {
  const EntryCache cache(EntryCache::DefaultDir());
  const std::string python = PythonSettingsKey();
  absl::StatusOr<std::optional<HubconfDescription>> hit = cache.Lookup(repo_dir, python);
  if (hit.ok() && hit->has_value()) {
    if (from_cache != nullptr) *from_cache = true;
    return **hit;
  }
  if (from_cache != nullptr) *from_cache = false;
  HUB_ASSIGN_OR_RETURN(HubconfDescription description, DescribeHubconf(repo_dir));
  if (absl::Status stored = cache.Store(repo_dir, python, description); !stored.ok()) {
    Warn(WarningCategory::kUserWarning,
         absl::StrCat("the entrypoint cache was not updated: ", stored.message()));
  }
  return description;
}

namespace {

// to_torchscript's answer, (bytes, method); `*data` and `*size` are the
// bytes', which live as long as the pair. The GIL must be held.
absl::StatusOr<PyRef> ScriptInPython(const PyObjectHandle& module,
                                     const std::optional<std::vector<at::Tensor>>& example_inputs,
                                     std::string* method, char** data, size_t* size) {
  HUB_RETURN_IF_ERROR(EnsureTorchImported());
  PyRef inputs = PyRef::Borrow(Py_None);
  if (example_inputs) {
    inputs = PyRef(PyList_New(static_cast<Py_ssize_t>(example_inputs->size())));
    for (size_t i = 0; i < example_inputs->size(); ++i) {
      PyObject* t = THPVariable_Wrap((*example_inputs)[i]);
      if (t == nullptr) return TakePythonError("passing an example input to Python");
      PyList_SET_ITEM(inputs.get(), static_cast<Py_ssize_t>(i), t);
    }
  }
  HUB_ASSIGN_OR_RETURN(
      PyRef pair, CallRunner("to_torchscript",
                             PyRef(Py_BuildValue("(NOO)", FsPath(module.repo_dir()),
                                                 module.borrowed(), inputs.get())),
                             absl::StrCat("turning ", module.TypeName(), " into TorchScript")));
  PyObject* bytes = PyTuple_GetItem(pair.get(), 0);
  PyObject* how = PyTuple_GetItem(pair.get(), 1);
  if (bytes == nullptr || !PyBytes_Check(bytes) || how == nullptr) {
    PyErr_Clear();
    return absl::InternalError("the hubconf runner returned no TorchScript bytes");
  }
  if (method != nullptr) *method = PyStr(how);
  Py_ssize_t length = 0;
  if (PyBytes_AsStringAndSize(bytes, data, &length) != 0) {
    return TakePythonError("reading the TorchScript bytes");
  }
  *size = static_cast<size_t>(length);
  return pair;
}

}  // namespace

absl::StatusOr<torch::jit::Module> ToTorchScript(
    const PyObjectHandle& module, const std::optional<std::vector<at::Tensor>>& example_inputs,
    std::string* method) {
  if (!module.valid()) return absl::InvalidArgumentError("ToTorchScript on an empty handle");
  HUB_ASSIGN_OR_RETURN(auto call, PythonCall::Begin());
  char* data = nullptr;
  size_t size = 0;
  HUB_ASSIGN_OR_RETURN(const PyRef pair,
                       ScriptInPython(module, example_inputs, method, &data, &size));
  // The bytes object stays alive (`pair` holds it) while Python runs on
  // without us: loading is all C++.
  GilRelease unlocked;
  BytesStreambuf buffer(data, size);
  std::istream stream(&buffer);
  try {
    return torch::jit::load(stream);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("loading the TorchScript of ", module.TypeName(), ": ",
                                            e.what_without_backtrace()));
  }
}

absl::StatusOr<std::string> ToTorchScriptArchive(
    const PyObjectHandle& module, const std::optional<std::vector<at::Tensor>>& example_inputs,
    std::string* method) {
  if (!module.valid()) return absl::InvalidArgumentError("ToTorchScriptArchive on an empty handle");
  HUB_ASSIGN_OR_RETURN(auto call, PythonCall::Begin());
  char* data = nullptr;
  size_t size = 0;
  HUB_ASSIGN_OR_RETURN(const PyRef pair,
                       ScriptInPython(module, example_inputs, method, &data, &size));
  return std::string(data, size);
}

absl::StatusOr<LoadedEntry> LoadEntrypoint(absl::string_view repo_dir, absl::string_view entry,
                                           const HubArgs& args, const LoadOptions& options) {
  HUB_ASSIGN_OR_RETURN(std::string dir, CanonicalDir(repo_dir));
  LoadedEntry loaded;
  {
    HUB_ASSIGN_OR_RETURN(auto call, PythonCall::Begin());
    HUB_ASSIGN_OR_RETURN(auto py_args, ToPython(args));
    PyRef name = PyString(entry);
    HUB_ASSIGN_OR_RETURN(PyRef result,
                         CallRunner("load",
                                    PyRef(Py_BuildValue("(NOOO)", FsPath(dir), name.get(),
                                                        py_args.first.get(), py_args.second.get())),
                                    absl::StrCat("loading ", entry, " from ", dir)));
    loaded.object = PyObjectHandle::FromBorrowed(result.get(), dir);
    loaded.type_name = loaded.object.TypeName();
    HUB_ASSIGN_OR_RETURN(PyRef kind,
                         CallRunner("classify", PyRef(Py_BuildValue("(O)", result.get())),
                                    "classifying the result"));
    const std::string k = PyStr(kind.get());
    if (k == "tensor" || k == "tensor_dict") HUB_RETURN_IF_ERROR(EnsureTorchImported());
    if (k == "tensor") {
      loaded.kind = LoadedEntry::Kind::kTensor;
      loaded.tensor = UnpackTensor(result.get());
    } else if (k == "tensor_dict") {
      loaded.kind = LoadedEntry::Kind::kTensorDict;
      PyObject* key = nullptr;
      PyObject* value = nullptr;
      Py_ssize_t pos = 0;
      while (PyDict_Next(result.get(), &pos, &key, &value)) {
        HUB_ASSIGN_OR_RETURN(std::string n, Utf8(key, "a state dict key"));
        loaded.tensors.emplace_back(std::move(n), UnpackTensor(value));
      }
    } else if (k == "module" && options.torchscript) {
      loaded.kind = LoadedEntry::Kind::kModule;
    }
  }
  if (loaded.kind == LoadedEntry::Kind::kModule && options.torchscript_archive) {
    HUB_ASSIGN_OR_RETURN(
        loaded.torchscript_archive,
        ToTorchScriptArchive(loaded.object, options.example_inputs, &loaded.torchscript_method));
  } else if (loaded.kind == LoadedEntry::Kind::kModule) {
    HUB_ASSIGN_OR_RETURN(loaded.module, ToTorchScript(loaded.object, options.example_inputs,
                                                      &loaded.torchscript_method));
  }
  return loaded;
}

}  // namespace hub
