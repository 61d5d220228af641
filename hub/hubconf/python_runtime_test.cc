#include "hub/hubconf/python_runtime.h"

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PythonRuntimeTest, StartsOnceOnFirstUseWithExtraPaths) {
  EXPECT_FALSE(PythonStarted());
  PythonConfig config;
  config.extra_paths = {"/torchhub/extra/one", "/torchhub/extra/two"};
  ASSERT_THAT(EnsurePythonStarted(config), IsOk());
  EXPECT_TRUE(PythonStarted());
  // A second call with other settings changes nothing.
  ASSERT_THAT(EnsurePythonStarted(PythonConfig{}), IsOk());
  GilLock gil;
  PyObject* path = PySys_GetObject("path");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(PyStr(PyList_GetItem(path, 0)), "/torchhub/extra/one");
  EXPECT_EQ(PyStr(PyList_GetItem(path, 1)), "/torchhub/extra/two");
  // /usr/bin/python3's environment: Debian's dist-packages are on the path.
  PyRef torch_spec(PyRun_String("__import__('importlib.util').util.find_spec('torch') is not None",
                                Py_eval_input, PyEval_GetBuiltins(), PyEval_GetBuiltins()));
  ASSERT_TRUE(torch_spec);
  EXPECT_EQ(torch_spec.get(), Py_True);
}

TEST(PythonRuntimeTest, ConfigComesFromTheEnvironment) {
  ::setenv(kPythonEnv, "/opt/py/bin/python3", 1);
  ::setenv(kPythonHomeEnv, "/opt/py", 1);
  ::setenv(kPythonPathEnv, "/a::/b", 1);
  const PythonConfig config = PythonConfig::FromEnvironment();
  EXPECT_EQ(config.program, "/opt/py/bin/python3");
  EXPECT_EQ(config.home, "/opt/py");
  EXPECT_EQ(config.extra_paths, (std::vector<std::string>{"/a", "/b"}));
  ::unsetenv(kPythonEnv);
  ::unsetenv(kPythonHomeEnv);
  ::unsetenv(kPythonPathEnv);
  EXPECT_EQ(PythonConfig::FromEnvironment().program, "/usr/bin/python3");
}

TEST(PythonRuntimeTest, ExceptionsBecomeStatusesWithTraceback) {
  ASSERT_THAT(EnsurePythonStarted(), IsOk());
  GilLock gil;
  PyRef globals(PyDict_New());
  PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins());
  PyRef defined(PyRun_String("def f():\n    raise KeyError('k')\n", Py_file_input, globals.get(),
                             globals.get()));
  ASSERT_TRUE(defined);
  PyRef result(PyRun_String("f()", Py_eval_input, globals.get(), globals.get()));
  ASSERT_FALSE(result);
  const absl::Status status = TakePythonError("calling f");
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("calling f: KeyError: 'k'")));
  EXPECT_THAT(status.message(), HasSubstr("Python traceback (most recent call last):"));
  EXPECT_THAT(status.message(), HasSubstr("in f"));
  EXPECT_EQ(PyErr_Occurred(), nullptr);
  EXPECT_THAT(TakePythonError("nothing"), StatusIs(absl::StatusCode::kInternal));
  PyErr_SetString(PyExc_ImportError, "no module");
  EXPECT_THAT(TakePythonError("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  PyErr_SetString(PyExc_RuntimeError, "boom");
  EXPECT_THAT(TakePythonError("x"), StatusIs(absl::StatusCode::kUnknown, HasSubstr("boom")));
}

TEST(PythonRuntimeTest, ThreadsTakeTheGilInTurn) {
  ASSERT_THAT(EnsurePythonStarted(), IsOk());
  {
    GilLock gil;
    PyRun_SimpleString("counter = 0\n");
  }
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([] {
      for (int j = 0; j < 100; ++j) {
        GilLock gil;
        PyRun_SimpleString("counter += 1\n");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  GilLock gil;
  PyObject* main = PyImport_AddModule("__main__");
  PyRef counter(PyObject_GetAttrString(main, "counter"));
  EXPECT_EQ(PyLong_AsLong(counter.get()), 800);
}

}  // namespace
}  // namespace hub
