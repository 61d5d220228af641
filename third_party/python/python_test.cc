// Proves embedded CPython 3.11 links and runs /usr/bin/python3's environment:
// it imports Debian's torch.
#include <Python.h>

#include <string>

#include "gtest/gtest.h"

namespace {

TEST(PythonTest, EmbeddedInterpreterImportsTorch) {
  Py_Initialize();
  ASSERT_TRUE(Py_IsInitialized());
  PyObject* torch = PyImport_ImportModule("torch");
  if (torch == nullptr) PyErr_Print();
  ASSERT_NE(torch, nullptr);
  PyObject* version = PyObject_GetAttrString(torch, "__version__");
  ASSERT_NE(version, nullptr);
  PyObject* str = PyObject_Str(version);
  const std::string text = PyUnicode_AsUTF8(str);
  EXPECT_EQ(text.rfind("1.13", 0), 0u) << text;
  Py_DECREF(str);
  Py_DECREF(version);
  Py_DECREF(torch);
  EXPECT_EQ(PyRun_SimpleString("import torch\n"
                               "assert int(torch.ones(3).sum()) == 3\n"),
            0);
  EXPECT_EQ(Py_FinalizeEx(), 0);
}

}  // namespace
