#include "hub/base/run_as_unprivileged.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub::testing {
namespace {

using ::testing::HasSubstr;

TEST(RunAsUnprivilegedTest, BodyCannotWriteInAReadOnlyDirectory) {
  const std::string dir = TestDir("ro");
  ASSERT_EQ(chmod(dir.c_str(), 0555), 0);
  bool ran = false;
  EXPECT_THAT(RunAsUnprivileged([&] {
                ran = true;
                EXPECT_FALSE(HasAnyCapability());
                const std::string file = dir + "/f";
                const int fd = open(file.c_str(), O_CREAT | O_WRONLY, 0644);
                const int error = errno;
                EXPECT_EQ(fd, -1);
                EXPECT_EQ(error, EACCES);
                if (fd >= 0) close(fd);
              }),
              IsOk());
  // As root the body ran in a child: this process's memory is untouched.
  EXPECT_EQ(ran, geteuid() != 0);
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
}

TEST(RunAsUnprivilegedTest, BodyStillReadsAndWritesWhatItsOwnerMay) {
  const std::string dir = TestDir("rw");
  WriteTestFile(dir + "/in", "bytes");
  EXPECT_THAT(RunAsUnprivileged([&] {
                EXPECT_EQ(ReadTestFile(dir + "/in"), "bytes");
                WriteTestFile(dir + "/out", "written");
              }),
              IsOk());
  EXPECT_EQ(ReadTestFile(dir + "/out"), "written");
}

TEST(RunAsUnprivilegedTest, AFailureInTheBodyFailsTheTest) {
  if (geteuid() == 0) {
    // The child reports the failure; the parent sees it in the status.
    EXPECT_THAT(RunAsUnprivileged([] { ADD_FAILURE() << "expected failure, in the child"; }),
                StatusIs(absl::StatusCode::kInternal, HasSubstr("exited 1")));
  } else {
    EXPECT_NONFATAL_FAILURE(
        EXPECT_THAT(RunAsUnprivileged([] { ADD_FAILURE() << "expected failure"; }), IsOk()),
        "expected failure");
  }
}

}  // namespace
}  // namespace hub::testing
