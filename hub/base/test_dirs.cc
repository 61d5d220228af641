#include "hub/base/test_dirs.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hub/fs/dir.h"

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

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);  // NOLINT(cert-msc51-cpp): reproducible test data is the point
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

bool WriteRandomFile(const std::string& path, int64_t bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);  // NOLINT(cert-msc51-cpp): the same file every run
  std::string chunk(size_t{1} << 20, '\0');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (int64_t left = bytes; left > 0 && out.good();) {
    for (size_t j = 0; j < chunk.size(); j += sizeof(uint64_t)) {
      const uint64_t v = rng();
      std::memcpy(&chunk[j], &v, sizeof(v));
    }
    const auto n = static_cast<std::streamsize>(std::min(left, static_cast<int64_t>(chunk.size())));
    out.write(chunk.data(), n);
    left -= n;
  }
  out.close();
  return out.good();
}

void WriteTestFile(const std::string& path, const std::string& data) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  EXPECT_TRUE(out.good()) << "writing " << path << ": " << error.message();
}

std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> ListDir(const std::string& dir) {
  return ListDirectory(dir).value_or(std::vector<std::string>());
}

std::vector<std::string> ListDirBesidesLocks(const std::string& dir) {
  std::vector<std::string> names;
  for (std::string& name : ListDir(dir)) {
    if (!absl::EndsWith(name, ".lock")) names.push_back(std::move(name));
  }
  return names;
}

std::string RunfilePath(const std::string& path) {
  std::vector<std::string> candidates;
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* runfiles = std::getenv(var);
    if (runfiles == nullptr || *runfiles == '\0') continue;
    const char* workspace = std::getenv("TEST_WORKSPACE");
    if (workspace != nullptr && *workspace != '\0') {
      candidates.push_back(absl::StrCat(runfiles, "/", workspace, "/", path));
    }
    // This repository's name when another workspace uses it.
    candidates.push_back(absl::StrCat(runfiles, "/torchhub_cpp/", path));
  }
  candidates.push_back(path);  // run from the source tree
  for (const std::string& candidate : candidates) {
    std::error_code error;
    if (std::filesystem::exists(candidate, error)) return candidate;
  }
  return candidates.front();
}

}  // namespace hub::testing
