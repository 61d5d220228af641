#include "hub/base/test_dirs.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace hub::testing {

std::string TestTempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

std::string TestDir(absl::string_view name) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name())
                                     : std::string("no_test");
  for (char& c : test) {
    if (c == '/') c = '_';  // parameterised test names
  }
  std::string dir = absl::StrCat(TestTempDir(), "/", test, "/", name);
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  std::filesystem::create_directories(dir, error);
  if (error) {
    std::fprintf(stderr, "cannot create test directory %s: %s\n", dir.c_str(),
                 error.message().c_str());
    std::abort();
  }
  return dir;
}

}  // namespace hub::testing
