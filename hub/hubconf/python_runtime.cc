#include "hub/hubconf/python_runtime.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace hub {
namespace {

std::atomic<bool> g_started{false};

absl::Status ConfigStatus(const PyStatus& status, absl::string_view what) {
  if (!PyStatus_Exception(status)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("cannot start embedded Python (", what,
                   "): ", status.err_msg == nullptr ? "unknown error" : status.err_msg,
                   status.func == nullptr ? "" : absl::StrCat(" in ", status.func),
                   "; check TORCHHUB_PYTHON / TORCHHUB_PYTHON_HOME"));
}

absl::Status Start(const PythonConfig& config) {
  PyConfig py;
  PyConfig_InitPythonConfig(&py);
  // The host program owns SIGINT and its command line.
  py.install_signal_handlers = 0;
  py.parse_argv = 0;
  absl::Status status = ConfigStatus(
      PyConfig_SetBytesString(&py, &py.program_name, config.program.c_str()), "program name");
  if (status.ok() && !config.home.empty()) {
    status = ConfigStatus(PyConfig_SetBytesString(&py, &py.home, config.home.c_str()), "home");
  }
  if (status.ok()) {
    char empty[] = "";
    char* argv[] = {empty};
    status = ConfigStatus(PyConfig_SetBytesArgv(&py, 1, argv), "argv");
  }
  if (status.ok()) status = ConfigStatus(Py_InitializeFromConfig(&py), "initialising");
  PyConfig_Clear(&py);
  if (!status.ok()) return status;

  // The interpreter starts with this thread holding the GIL.
  PyObject* sys_path = PySys_GetObject("path");  // borrowed
  if (sys_path != nullptr) {
    for (auto it = config.extra_paths.rbegin(); it != config.extra_paths.rend(); ++it) {
      PyRef entry(PyUnicode_DecodeFSDefault(it->c_str()));
      if (!entry || PyList_Insert(sys_path, 0, entry.get()) != 0) {
        status = TakePythonError("adding TORCHHUB_PYTHONPATH to sys.path");
        break;
      }
    }
  }
  // From now on threads take the GIL with GilLock; this thread's state is
  // kept (Python is never finalised: libtorch and extension modules hold
  // state that outlives any orderly shutdown).
  PyEval_SaveThread();
  g_started.store(true);
  return status;
}

}  // namespace

PythonConfig PythonConfig::FromEnvironment() {
  PythonConfig config;
  if (const char* p = std::getenv(kPythonEnv); p != nullptr && *p != '\0') config.program = p;
  if (const char* h = std::getenv(kPythonHomeEnv); h != nullptr && *h != '\0') config.home = h;
  if (const char* paths = std::getenv(kPythonPathEnv); paths != nullptr) {
    for (absl::string_view p : absl::StrSplit(paths, ':', absl::SkipEmpty())) {
      config.extra_paths.emplace_back(p);
    }
  }
  return config;
}

absl::Status EnsurePythonStarted(const PythonConfig& config) {
  static std::once_flag once;
  static absl::Status* result = nullptr;
  std::call_once(once, [&config] {
    if (Py_IsInitialized() != 0) {
      // The host program embeds Python itself: use its interpreter.
      g_started.store(true);
      result = new absl::Status();
      return;
    }
    result = new absl::Status(Start(config));
  });
  return *result;
}

bool PythonStarted() { return g_started.load(); }

std::string PyStr(PyObject* object) {
  if (object == nullptr) return "<null>";
  PyRef str(PyObject_Str(object));
  if (!str) {
    PyErr_Clear();
    return "<unprintable>";
  }
  Py_ssize_t size = 0;
  const char* utf8 = PyUnicode_AsUTF8AndSize(str.get(), &size);
  if (utf8 == nullptr) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return std::string(utf8, static_cast<size_t>(size));
}

absl::Status TakePythonError(absl::string_view context) {
  PyObject* raw_type = nullptr;
  PyObject* raw_value = nullptr;
  PyObject* raw_traceback = nullptr;
  PyErr_Fetch(&raw_type, &raw_value, &raw_traceback);
  if (raw_type == nullptr) {
    return absl::InternalError(absl::StrCat(context, ": failed without a Python exception"));
  }
  PyErr_NormalizeException(&raw_type, &raw_value, &raw_traceback);
  PyRef type(raw_type);
  PyRef value(raw_value);
  PyRef traceback(raw_traceback);
  if (traceback && value) PyException_SetTraceback(value.get(), traceback.get());

  absl::StatusCode code = absl::StatusCode::kUnknown;
  PyRef explicit_code(value ? PyObject_GetAttrString(value.get(), "_torchhub_code") : nullptr);
  if (explicit_code && PyLong_Check(explicit_code.get())) {
    code = static_cast<absl::StatusCode>(PyLong_AsLong(explicit_code.get()));
  } else {
    PyErr_Clear();
    if (PyErr_GivenExceptionMatches(type.get(), PyExc_KeyboardInterrupt)) {
      code = absl::StatusCode::kCancelled;
    } else if (PyErr_GivenExceptionMatches(type.get(), PyExc_FileNotFoundError)) {
      code = absl::StatusCode::kNotFound;
    } else if (PyErr_GivenExceptionMatches(type.get(), PyExc_ImportError)) {
      code = absl::StatusCode::kFailedPrecondition;
    } else if (PyErr_GivenExceptionMatches(type.get(), PyExc_ValueError) ||
               PyErr_GivenExceptionMatches(type.get(), PyExc_TypeError) ||
               PyErr_GivenExceptionMatches(type.get(), PyExc_KeyError)) {
      code = absl::StatusCode::kInvalidArgument;
    }
  }

  std::string type_name = "Exception";
  if (PyType_Check(type.get())) {
    type_name = reinterpret_cast<PyTypeObject*>(type.get())->tp_name;
  }
  std::string message = absl::StrCat(context, ": ", type_name);
  const std::string text = PyStr(value.get());
  if (!text.empty()) absl::StrAppend(&message, ": ", text);

  // The traceback, unless the exception is one of the runner's own answers
  // ("Cannot find callable ..."), where it would only show the runner.
  if (!explicit_code && traceback) {
    PyRef module(PyImport_ImportModule("traceback"));
    PyRef lines(module ? PyObject_CallMethod(module.get(), "format_tb", "O", traceback.get())
                       : nullptr);
    if (lines && PyList_Check(lines.get())) {
      absl::StrAppend(&message, "\nPython traceback (most recent call last):\n");
      for (Py_ssize_t i = 0; i < PyList_Size(lines.get()); ++i) {
        absl::StrAppend(&message, PyStr(PyList_GetItem(lines.get(), i)));
      }
    }
    PyErr_Clear();
  }
  return absl::Status(code, message);
}

}  // namespace hub
