// A TCP listener on 127.0.0.1 that accepts connections and never answers:
// the server that hangs, for tests of what a client does while it waits
// (Ctrl-C, time-outs), and a connection counter, for tests that no socket
// was opened at all (offline).
//
//   HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
//   HUB_ASSERT_OK_AND_ASSIGN(pid_t pid, StartProcess({"torchhub", "download",
//                                                     server->Url("/w.pth"), dst}, log));
//   HUB_ASSERT_OK(server->AwaitConnection());   // the client is now waiting on us
//   kill(pid, SIGINT);
//   HUB_ASSERT_OK_AND_ASSIGN(int code, WaitForExit(pid));
//   EXPECT_EQ(code, 130);
//   EXPECT_TRUE(server->ClientHungUp(0));       // it left; we never answered
//
// Nothing is ever read from or written to a connection, and none is closed
// before the server is destroyed. Not thread-safe; not copyable (it owns
// the sockets).

#ifndef TESTS_SERVERS_SILENT_SERVER_H_
#define TESTS_SERVERS_SILENT_SERVER_H_

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace hub::testing {

class SilentServer {
 public:
  static absl::StatusOr<std::unique_ptr<SilentServer>> Start();

  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  ~SilentServer();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path_and_query (which starts with "/").
  std::string Url(const std::string& path_and_query) const;

  // Waits until a client connects and accepts it (held open). `timeout`
  // only bounds a test that is already failing: kDeadlineExceeded.
  absl::Status AwaitConnection(absl::Duration timeout = absl::Seconds(60));
  // Accepts every connection waiting now, without waiting; returns how many
  // there are in all, ever (the offline tests' guard: 0).
  size_t CountConnections();
  // Whether the client of accepted connection `index` closed its end (it
  // waits for that up to `timeout`, which only bounds a failing test).
  bool ClientHungUp(size_t index, absl::Duration timeout = absl::Seconds(10)) const;

 private:
  SilentServer() = default;

  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<int> connections_;
};

// Waits for child `pid` to end: its exit code, or 128 + the signal that
// ended it. When it is still running after `timeout` (a test that is
// already failing) it is killed and the answer is kDeadlineExceeded.
absl::StatusOr<int> WaitForExit(pid_t pid, absl::Duration timeout = absl::Seconds(60));

}  // namespace hub::testing

#endif  // TESTS_SERVERS_SILENT_SERVER_H_
