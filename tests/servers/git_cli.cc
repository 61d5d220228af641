#include "tests/servers/git_cli.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/servers/subprocess.h"

namespace hub::testing {

std::string Git(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git",
                                   "-C",
                                   dir,
                                   "-c",
                                   "user.name=t",
                                   "-c",
                                   "user.email=t@t",
                                   "-c",
                                   "init.defaultBranch=main"};
  argv.insert(argv.end(), args.begin(), args.end());
  const absl::StatusOr<CommandResult> r = RunCommand(argv, {.separate_stderr = true});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "";
  EXPECT_EQ(r->exit_code, 0) << absl::StrJoin(argv, " ") << ":\n" << r->error_output;
  return std::string(absl::StripTrailingAsciiWhitespace(r->output));
}

}  // namespace hub::testing
