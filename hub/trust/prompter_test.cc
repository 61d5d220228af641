#include "hub/trust/prompter.h"

#include <fcntl.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub {
namespace {

using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TerminalPrompterTest, RefusesToAskWithoutATerminal) {
  // Make sure stdin is not a terminal, whatever ran the test.
  const int saved = dup(STDIN_FILENO);
  const int null_fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(null_fd, 0);
  dup2(null_fd, STDIN_FILENO);
  TerminalPrompter prompter;
  ::testing::internal::CaptureStdout();
  EXPECT_THAT(prompter.Ask("Trust? (y/N)?"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("standard input is not a terminal")));
  // Nothing was shown: there is nobody to show it to.
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  dup2(saved, STDIN_FILENO);
  close(saved);
  close(null_fd);
}

TEST(TerminalPrompterTest, TellPrintsALine) {
  TerminalPrompter prompter;
  ::testing::internal::CaptureStdout();
  prompter.Tell("The repository is already trusted.");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "The repository is already trusted.\n");
}

}  // namespace
}  // namespace hub
