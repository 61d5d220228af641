// The git CLI, for tests that make repositories to serve or fetch.
//
//   hub::testing::Git(dir, {"init", "-q", "-b", "main"});
//   const std::string sha = hub::testing::Git(dir, {"rev-parse", "HEAD"});

#ifndef TESTS_SERVERS_GIT_CLI_H_
#define TESTS_SERVERS_GIT_CLI_H_

#include <string>
#include <vector>

namespace hub::testing {

// Runs `git -C dir ARGS...` with a fixed identity and "main" as the default
// branch; returns stdout without trailing whitespace. A failure fails the
// running test (with the command and git's stderr) and returns "".
std::string Git(const std::string& dir, const std::vector<std::string>& args);

}  // namespace hub::testing

#endif  // TESTS_SERVERS_GIT_CLI_H_
