// BoringSSL (static, hidden), libcurl on OpenSSL 3, libtorch and embedded
// CPython's hashlib/ssl in one process. With Debian's shared BoringSSL,
// libcurl's HTTPS and `import hashlib` crash; this test keeps that fixed.
#include <Python.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <openssl/sha.h>
#include <torch/script.h>

#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::MakeTempDir;
using ::hub::testing::NginxServer;

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::string PyStr(PyObject* o) {
  PyObject* s = PyObject_Str(o);
  std::string out = s != nullptr ? PyUnicode_AsUTF8(s) : "<error>";
  Py_XDECREF(s);
  return out;
}

TEST(CoexistenceTest, BoringsslCurlTorchAndPythonShareOneProcess) {
  // A file behind a real HTTPS server.
  HUB_ASSERT_OK_AND_ASSIGN(const std::string root, MakeTempDir("root"));
  std::string payload;
  for (int i = 0; i < 100000; ++i) payload += static_cast<char>(i * 7);
  std::ofstream(root + "/blob.bin", std::ios::binary) << payload;
  HUB_ASSERT_OK_AND_ASSIGN(auto server, NginxServer::Start({.root = root}));

  // libcurl over TLS (OpenSSL 3 underneath).
  ASSERT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, server->Url("/blob.bin").c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, server->ca_file().c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
  curl_easy_cleanup(curl);
  ASSERT_EQ(body, payload);

  // BoringSSL hashes what arrived.
  const std::string ours = Sha256Hex(body);

  // OpenSSL's libcrypto is loaded (by libcurl and libtorch) and the dynamic
  // linker resolves its names to it, not to our BoringSSL.
  void* sym = dlsym(RTLD_DEFAULT, "EVP_sha256");
  ASSERT_NE(sym, nullptr) << "OpenSSL's libcrypto should be loaded by libcurl";
  Dl_info info{};
  ASSERT_NE(dladdr(sym, &info), 0);
  EXPECT_THAT(info.dli_fname, ::testing::HasSubstr("libcrypto.so.3"));

  // libtorch.
  const at::Tensor t = at::ones({4, 4});
  EXPECT_FLOAT_EQ(t.sum().item<float>(), 16.0f);

  // Embedded Python: hashlib agrees, and its ssl module fetches over TLS.
  Py_Initialize();
  PyObject* main = PyImport_AddModule("__main__");
  PyObject* globals = PyModule_GetDict(main);
  PyDict_SetItemString(globals, "url", PyUnicode_FromString(server->Url("/blob.bin").c_str()));
  PyDict_SetItemString(globals, "cafile", PyUnicode_FromString(server->ca_file().c_str()));
  PyObject* result = PyRun_String(
      "import hashlib, ssl, urllib.request\n"
      "ctx = ssl.create_default_context(cafile=cafile)\n"
      "data = urllib.request.urlopen(url, context=ctx).read()\n"
      "digest = hashlib.sha256(data).hexdigest()\n",
      Py_file_input, globals, globals);
  if (result == nullptr) PyErr_Print();
  ASSERT_NE(result, nullptr);
  Py_DECREF(result);
  PyObject* digest = PyDict_GetItemString(globals, "digest");
  ASSERT_NE(digest, nullptr);
  EXPECT_EQ(PyStr(digest), ours);
  EXPECT_EQ(Py_FinalizeEx(), 0);
  curl_global_cleanup();
}

}  // namespace
