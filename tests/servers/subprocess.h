// Running a command and waiting for it, for test fixtures.
//
//   HUB_ASSIGN_OR_RETURN(CommandResult r, RunCommand({"openssl", "version"}));
//   if (r.exit_code != 0) ...  // r.output has stdout and stderr together

#ifndef TESTS_SERVERS_SUBPROCESS_H_
#define TESTS_SERVERS_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hub::testing {

struct CommandResult {
  int exit_code = -1;        // 128 + signal number when killed by a signal
  std::string output;        // stdout, with stderr interleaved unless separated
  std::string error_output;  // stderr, when CommandOptions::separate_stderr
};

struct CommandOptions {
  // A file to read as stdin; /dev/null when empty.
  std::string stdin_path;
  // Collect stderr in CommandResult::error_output instead of `output`.
  bool separate_stderr = false;
};

// Runs argv[0] (looked up in PATH) with `argv`, waits for it and returns its
// exit code and output. Fails only when the command can't be started.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const CommandOptions& options = {});

// Starts argv[0] in the background with stdout and stderr sent to
// `log_path` (appended). Returns its pid.
absl::StatusOr<pid_t> StartProcess(const std::vector<std::string>& argv,
                                   const std::string& log_path);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0,
// read, closed). Another process may take it first; callers that can ask
// the kernel for port 0 themselves should.
absl::StatusOr<int> PickFreePort();

// Whether something accepts TCP connections on 127.0.0.1:`port`.
bool CanConnectToLoopback(int port);

// A fresh directory under TestTempDir() whose name starts with `prefix`.
absl::StatusOr<std::string> MakeTempDir(const std::string& prefix);

}  // namespace hub::testing

#endif  // TESTS_SERVERS_SUBPROCESS_H_
