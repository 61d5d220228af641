// Scratch directories for tests.
//
//   const std::string hub_dir = hub::testing::TestDir("hub");
//   // $TEST_TMPDIR/<TestSuite>.<TestName>/hub, created, empty

#ifndef HUB_BASE_TEST_DIRS_H_
#define HUB_BASE_TEST_DIRS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace hub::testing {

// $TEST_TMPDIR (set by Bazel), else /tmp.
std::string TestTempDir();

// A fresh, empty directory "<TestTempDir()>/<suite>.<test>/<name>" for the
// running gtest test (anything there before is removed). Aborts the test
// binary if it can't be made: no test can go on without it.
std::string TestDir(absl::string_view name = "tmp");

// `n` bytes from a generator seeded with `seed`: the same bytes every run.
std::string RandomBytes(size_t n, uint32_t seed);

// Writes `bytes` bytes from a generator seeded with `seed` to `path`, 1 MiB
// at a time (a file larger than memory is fine): benchmarks' served files.
// false when it can't be written.
bool WriteRandomFile(const std::string& path, int64_t bytes, uint64_t seed);

// Writes `data` to `path`, making its directories; a failure fails the
// running test.
void WriteTestFile(const std::string& path, const std::string& data);

// The whole file, or "" when it can't be read.
std::string ReadTestFile(const std::string& path);

// The names in `dir` (no "." or ".."), sorted; empty when it can't be read.
std::vector<std::string> ListDir(const std::string& dir);

// ListDir(dir) without lock files (names ending ".lock", which downloads
// leave by design: flock needs a file that stays): what a download left.
std::vector<std::string> ListDirBesidesLocks(const std::string& dir);

// Where `path` (relative to this repository's root, e.g. "hub/cli/torchhub")
// is among the test's runfiles: under $TEST_SRCDIR (or $RUNFILES_DIR) in
// $TEST_WORKSPACE, or in "torchhub_cpp" when another workspace runs these
// tests; `path` itself outside Bazel. The first that exists, else the first.
std::string RunfilePath(const std::string& path);

}  // namespace hub::testing

#endif  // HUB_BASE_TEST_DIRS_H_
