// For tests of the sandbox: whether bubblewrap can make its namespaces on
// this machine (where it can't, sandbox tests assert the sandbox's refusal
// instead of skipping), and a hostile hubconf with the checks of what it
// tried.
#ifndef HUB_SANDBOX_SANDBOX_TESTING_H_
#define HUB_SANDBOX_SANDBOX_TESTING_H_

#include <string>

#include "absl/strings/string_view.h"
#include "hub/sandbox/sandbox.h"

namespace hub::sandbox {

// A temp dir laid out like a user's machine: a planted key under a home, a
// hub dir holding the repo and a checkpoint, and a directory outside both.
struct TestMachine {
  TestMachine();
  // The test's worker program, and the hub dir read-only.
  SandboxOptions Options() const;

  std::string root;
  std::string home;
  std::string key;  // home/.ssh/id_ed25519, "PLANTED-SECRET-KEY"
  std::string hub_dir;
  std::string repo;  // hub_dir/owner_repo_main
  std::string outside;
  std::string weights;  // hub_dir/checkpoints/w.pt
};

// A TCP port on loopback that the test listens on, never accepting: what a
// hostile hubconf tries to connect to.
class Listener {
 public:
  Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();
  int port() const { return port_; }
  // Whether a connection is waiting (without blocking).
  bool Connected() const;

 private:
  int fd_;
  int port_ = 0;
};

// Runs /usr/bin/bwrap once with the namespaces the sandbox asks for; the
// answer is kept for the process.
bool BwrapNamespacesAvailable();

// A hubconf.py that, when imported, tries to get out every way the sandbox
// should stop (read the home, /etc/shadow, the parent's descriptors, a
// symlink out of the repo; write outside /tmp; fill /tmp; connect over TCP;
// fork, exec; allocate 8 GiB; forbidden syscalls) and records each outcome.
// `constants` is the Python tuple KEY, HOME, HUB, REPO, OUTSIDE, PORT (the
// planted key, the home, the hub dir, the repo, a dir outside, a TCP port
// listening on loopback). Its outcomes, "name=allowed: ..." or
// "name=blocked: ExceptionType: ..." one a line, are the docstring of its
// entry `report` and what its entry `results()` returns.
std::string HostileHubconf(absl::string_view constants);

// gtest expectations: every attempt in `report` (as above) was stopped, and
// what should work (threads, AF_UNIX, /tmp, reading the hub dir) did.
void ExpectEveryAttemptBlocked(absl::string_view report);

}  // namespace hub::sandbox

#endif  // HUB_SANDBOX_SANDBOX_TESTING_H_
