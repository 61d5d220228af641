// The embedded CPython interpreter: started once, lazily, shared by every
// thread, never finalised.
//
//   HUB_RETURN_IF_ERROR(hub::EnsurePythonStarted());
//   {
//     hub::GilLock gil;                       // any thread
//     hub::PyRef sys(PyImport_ImportModule("sys"));
//     if (!sys) return hub::TakePythonError("importing sys");
//   }
//
// Only hub/hubconf starts Python, and only when hubconf work is asked for:
// downloads, verification and the cache never do. The interpreter is the
// one the build embeds (TORCHHUB_PYTHON at build time, default
// /usr/bin/python3: Debian's torch and torchvision); PythonConfig changes
// the program it takes its paths from, its home and extra search paths.
//
// Python's own signal handlers are not installed: Ctrl-C stays the host
// program's. After start-up no thread holds the GIL; each call into Python
// takes it with GilLock and releases it when done.
#ifndef HUB_HUBCONF_PYTHON_RUNTIME_H_
#define HUB_HUBCONF_PYTHON_RUNTIME_H_

#include <Python.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "torchhub_python_version.h"

namespace hub {

inline constexpr char kPythonEnv[] = "TORCHHUB_PYTHON";
inline constexpr char kPythonHomeEnv[] = "TORCHHUB_PYTHON_HOME";
inline constexpr char kPythonPathEnv[] = "TORCHHUB_PYTHONPATH";

struct PythonConfig {
  // The interpreter whose prefix and site-packages are used. Its version
  // must be the libpython linked in. Default: the build's (/usr/bin/python3
  // unless TORCHHUB_PYTHON named another when it was built).
  std::string program = TORCHHUB_PYTHON_EXECUTABLE;
  // PYTHONHOME-style prefix; empty: derived from `program`.
  std::string home;
  // Put in front of sys.path (e.g. a virtualenv's site-packages).
  std::vector<std::string> extra_paths;

  // TORCHHUB_PYTHON, TORCHHUB_PYTHON_HOME and TORCHHUB_PYTHONPATH
  // (colon-separated) over the defaults.
  static PythonConfig FromEnvironment();
};

// Starts the interpreter with `config` the first time it is called in the
// process; later calls return the first call's result and ignore `config`.
// Thread-safe.
absl::Status EnsurePythonStarted(const PythonConfig& config = PythonConfig::FromEnvironment());

// Whether EnsurePythonStarted has started Python (for tests that check a
// code path does not).
bool PythonStarted();

// Holds the GIL for its lifetime (PyGILState_Ensure/Release). Re-entrant.
// Python must have been started.
class GilLock {
 public:
  GilLock() : state_(PyGILState_Ensure()) {}
  GilLock(const GilLock&) = delete;
  GilLock& operator=(const GilLock&) = delete;
  ~GilLock() { PyGILState_Release(state_); }

 private:
  PyGILState_STATE state_;
};

// Releases the GIL for its lifetime (around long C++ work inside a GilLock).
class GilRelease {
 public:
  GilRelease() : save_(PyEval_SaveThread()) {}
  GilRelease(const GilRelease&) = delete;
  GilRelease& operator=(const GilRelease&) = delete;
  ~GilRelease() { PyEval_RestoreThread(save_); }

 private:
  PyThreadState* save_;
};

// An owned (strong) reference. Copying takes another reference, so the GIL
// must be held whenever a PyRef is created, copied or destroyed.
class PyRef {
 public:
  PyRef() = default;
  // Steals `object` (a new reference, as most C API calls return); null is
  // allowed and means "an error is set".
  explicit PyRef(PyObject* object) : object_(object) {}
  static PyRef Borrow(PyObject* object) {
    Py_XINCREF(object);
    return PyRef(object);
  }
  PyRef(const PyRef& other) : object_(other.object_) { Py_XINCREF(object_); }
  PyRef& operator=(const PyRef& other) {
    if (this != &other) {
      Py_XINCREF(other.object_);
      Py_XDECREF(object_);
      object_ = other.object_;
    }
    return *this;
  }
  PyRef(PyRef&& other) noexcept : object_(other.object_) { other.object_ = nullptr; }
  PyRef& operator=(PyRef&& other) noexcept {
    if (this != &other) {
      Py_XDECREF(object_);
      object_ = other.object_;
      other.object_ = nullptr;
    }
    return *this;
  }
  ~PyRef() { Py_XDECREF(object_); }

  PyObject* get() const { return object_; }
  PyObject* release() {
    PyObject* o = object_;
    object_ = nullptr;
    return o;
  }
  explicit operator bool() const { return object_ != nullptr; }

 private:
  PyObject* object_ = nullptr;
};

// The pending Python exception as a Status (and clears it): the exception's
// type and message, then its traceback. `context` says what was being done.
// The code follows the exception: ImportError -> kFailedPrecondition,
// ValueError/TypeError/KeyError -> kInvalidArgument, FileNotFoundError ->
// kNotFound, KeyboardInterrupt -> kCancelled, anything else -> kUnknown.
// With no exception pending, an kInternal error saying so. Needs the GIL.
absl::Status TakePythonError(absl::string_view context);

// str(object) as UTF-8 (with the GIL); "<unprintable>" when str() fails.
std::string PyStr(PyObject* object);

}  // namespace hub

#endif  // HUB_HUBCONF_PYTHON_RUNTIME_H_
