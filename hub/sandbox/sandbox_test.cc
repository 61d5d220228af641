#include "hub/sandbox/sandbox.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/hubconf/entry_cache.h"
#include "hub/sandbox/sandbox_testing.h"

namespace hub::sandbox {
namespace {

using ::hub::testing::ReadTestFile;
using ::hub::testing::RunfilePath;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A temp dir laid out like a user's machine: a planted key under a home, a
// hub dir holding the repo, and a directory outside both.
struct Machine {
  std::string root = TestDir("machine");
  std::string home = root + "/home";
  std::string key = home + "/.ssh/id_ed25519";
  std::string hub_dir = root + "/hub";
  std::string repo = hub_dir + "/owner_repo_main";
  std::string outside = root + "/outside";
  std::string weights = hub_dir + "/checkpoints/w.pt";

  Machine() {
    WriteTestFile(key, "PLANTED-SECRET-KEY");
    WriteTestFile(weights, "weights");
    std::filesystem::create_directories(repo);
    std::filesystem::create_directories(outside);
  }

  SandboxOptions Options() const {
    SandboxOptions options;
    options.worker_program = RunfilePath("hub/sandbox/torchhub-sandbox-worker");
    options.read_only_dirs = {hub_dir};
    return options;
  }

  absl::StatusOr<HubconfDescription> Describe(const std::string& hubconf,
                                              const SandboxOptions& options) const {
    WriteTestFile(repo + "/hubconf.py", hubconf);
    return DescribeHubconfInSandbox(repo, options);
  }
  absl::StatusOr<HubconfDescription> Describe(const std::string& hubconf) const {
    return Describe(hubconf, Options());
  }
};

void ExpectRefusalWithoutNamespaces(const absl::Status& status) {
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr("user namespaces"), HasSubstr("--sandbox"))));
}

// The entry's docstring; nullopt when it has none or is not there.
std::optional<std::string> DocOf(const HubconfDescription& d, absl::string_view entry) {
  for (const auto& [name, doc] : d.docs) {
    if (name == entry) return doc;
  }
  return std::nullopt;
}

// A TCP port on loopback that the test listens on, never accepting.
class Listener {
 public:
  Listener() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size), 0);
    port_ = ntohs(address.sin_port);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  // Whether a connection is waiting (without blocking).
  bool Connected() const {
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c >= 0) ::close(c);
    return c >= 0;
  }

 private:
  int fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int port_ = 0;
};

TEST(SandboxTest, ListsAndDocumentsAnHonestHubconf) {
  const Machine m;
  const absl::StatusOr<HubconfDescription> d = m.Describe(
      "dependencies = []\n"
      "def resnet(pretrained=False):\n"
      "    '''A residual network.'''\n"
      "def tiny():\n"
      "    pass\n"
      "def _private():\n"
      "    pass\n");
  if (!BwrapNamespacesAvailable()) return ExpectRefusalWithoutNamespaces(d.status());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->entrypoints, ElementsAre("resnet", "tiny"));
  EXPECT_EQ(DocOf(*d, "resnet"), std::optional<std::string>("A residual network."));
  EXPECT_EQ(DocOf(*d, "tiny"), std::nullopt);
}

TEST(SandboxTest, TheHubconfsOwnErrorComesBackWithItsCode) {
  const Machine m;
  const absl::StatusOr<HubconfDescription> d = m.Describe("raise ValueError('boom at import')\n");
  if (!BwrapNamespacesAvailable()) return ExpectRefusalWithoutNamespaces(d.status());
  EXPECT_THAT(d.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("boom at import")));
}

// Each attempt's outcome, as the hubconf saw it, comes back in the
// docstring of its `report` entry: "name=allowed: ..." or "name=blocked:
// ExceptionType: ...", one a line.
constexpr char kHostileHubconf[] = R"PY(
import ctypes, os, socket, subprocess, threading

KEY, HOME, HUB, REPO, OUTSIDE, PORT = %s

R = {}
def attempt(name, fn):
    try:
        R[name] = 'allowed: ' + repr(fn())[:200].replace('\n', ' ')
    except BaseException as e:
        R[name] = 'blocked: %%s: %%s' %% (type(e).__name__, str(e)[:200].replace('\n', ' '))

def write(path):
    with open(path, 'w') as f:
        return f.write('planted by a hubconf')

def fork_50():
    forked = 0
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        forked += 1
    return forked

def inherited_fds():
    found = []
    for fd in range(256):
        try:
            if b'PLANTED' in os.pread(fd, 64, 0):
                found.append(fd)
        except OSError:
            pass
    return found

def thread():
    out = []
    t = threading.Thread(target=lambda: out.append(6 * 7))
    t.start()
    t.join()
    return out[0]

libc = ctypes.CDLL(None, use_errno=True)
def syscall(nr, *args):
    def run():
        rc = libc.syscall(nr, *args)
        if rc < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return rc
    return run

attempt('read_home_key', lambda: open(KEY).read())
attempt('list_home', lambda: os.listdir(HOME))
attempt('read_inherited_fds', inherited_fds)
attempt('read_shadow', lambda: open('/etc/shadow').read())
attempt('follow_symlink_out', lambda: open(REPO + '/leak').read())
attempt('follow_relative_symlink_out', lambda: open(REPO + '/leak_relative').read())
attempt('read_weights', lambda: open(HUB + '/checkpoints/w.pt').read())
attempt('write_tmp', lambda: write('/tmp/scratch'))
def fill_tmp():
    for i in range(1024):
        with open('/tmp/fill%%d' %% i, 'wb') as f:
            f.write(b'x' * (1 << 20))
    return i + 1
attempt('fill_tmp', fill_tmp)
attempt('write_outside', lambda: write(OUTSIDE + '/planted'))
attempt('write_usr', lambda: write('/usr/planted'))
attempt('write_root', lambda: write('/planted'))
attempt('write_repo', lambda: write(REPO + '/planted'))
attempt('write_hub_dir', lambda: write(HUB + '/planted'))
attempt('connect_tcp', lambda: socket.create_connection(('127.0.0.1', PORT), timeout=5))
attempt('unix_socketpair', lambda: len(socket.socketpair(socket.AF_UNIX)))
attempt('thread', thread)
attempt('fork_50', fork_50)
attempt('run_id', lambda: subprocess.run(['/usr/bin/id'], capture_output=True).stdout)
attempt('exec_id', lambda: os.execv('/usr/bin/id', ['id']))
attempt('allocate_8_gib', lambda: len(bytearray(8 << 30)))
attempt('ptrace', syscall(101, 0, 0, 0, 0))
attempt('mount', syscall(165, 0, 0, 0, 0, 0))
attempt('unshare_user', syscall(272, 0x10000000))
attempt('setns', syscall(308, 0, 0))
attempt('bpf', syscall(321, 0, 0, 0))
attempt('keyctl', syscall(250, 0, 0, 0, 0, 0))
attempt('io_uring_setup', syscall(425, 1, 0))
attempt('userfaultfd', syscall(323, 0))
attempt('no_new_privs', syscall(157, 39, 0, 0, 0, 0))
attempt('uid', os.getuid)
attempt('home_env', lambda: os.environ.get('HOME'))

def report():
    pass
report.__doc__ = '\n'.join('%%s=%%s' %% kv for kv in R.items())
)PY";

TEST(SandboxTest, AHostileHubconfIsStoppedAtEveryAttemptAndTheDiskIsUnharmed) {
  const Machine m;
  const Listener listener;
  ASSERT_EQ(::symlink(m.key.c_str(), (m.repo + "/leak").c_str()), 0);
  ASSERT_EQ(::symlink("../../home/.ssh/id_ed25519", (m.repo + "/leak_relative").c_str()), 0);
  const std::string constants = absl::StrCat("'", m.key, "', '", m.home, "', '", m.hub_dir, "', '",
                                             m.repo, "', '", m.outside, "', ", listener.port());
  char hubconf[sizeof(kHostileHubconf) + 4096];
  std::snprintf(hubconf, sizeof(hubconf), kHostileHubconf, constants.c_str());
  // A descriptor this process left open without close-on-exec.
  const int leaked = ::open(m.key.c_str(), O_RDONLY);
  ASSERT_GE(leaked, 0);
  SandboxOptions options = m.Options();
  options.tmp_bytes = 8 << 20;
  const absl::StatusOr<HubconfDescription> d = m.Describe(hubconf, options);
  ::close(leaked);
  if (!BwrapNamespacesAvailable()) return ExpectRefusalWithoutNamespaces(d.status());
  ASSERT_TRUE(d.ok()) << d.status();
  const std::optional<std::string> doc = DocOf(*d, "report");
  ASSERT_TRUE(doc.has_value());
  std::map<std::string, std::string> r;
  for (absl::string_view line : absl::StrSplit(*doc, '\n')) {
    const std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    r.insert(kv);
  }
  SCOPED_TRACE(*doc);
  // Nothing of the home, /etc or the host outside the mounts is there.
  EXPECT_THAT(r["read_home_key"], StartsWith("blocked: FileNotFoundError"));
  EXPECT_THAT(r["list_home"], StartsWith("blocked: FileNotFoundError"));
  EXPECT_EQ(r["read_inherited_fds"], "allowed: []");
  EXPECT_THAT(r["read_shadow"], StartsWith("blocked: FileNotFoundError"));
  EXPECT_THAT(r["follow_symlink_out"], StartsWith("blocked: FileNotFoundError"));
  EXPECT_THAT(r["follow_relative_symlink_out"], StartsWith("blocked: FileNotFoundError"));
  EXPECT_THAT(r["write_outside"], StartsWith("blocked: FileNotFoundError"));
  // Cached weights are readable, and only /tmp is writable.
  EXPECT_EQ(r["read_weights"], "allowed: 'weights'");
  EXPECT_EQ(r["write_tmp"], "allowed: 20");
  EXPECT_THAT(r["fill_tmp"], StartsWith("blocked: OSError: [Errno 28] No space left on device"));
  EXPECT_THAT(r["write_usr"], StartsWith("blocked: OSError: [Errno 30] Read-only file system"));
  EXPECT_THAT(r["write_root"], StartsWith("blocked: OSError: [Errno 30] Read-only file system"));
  EXPECT_THAT(r["write_repo"], StartsWith("blocked: OSError: [Errno 30] Read-only file system"));
  EXPECT_THAT(r["write_hub_dir"], StartsWith("blocked: OSError: [Errno 30] Read-only file system"));
  // No network; AF_UNIX and threads work.
  EXPECT_THAT(r["connect_tcp"], StartsWith("blocked: PermissionError"));
  EXPECT_EQ(r["unix_socketpair"], "allowed: 2");
  EXPECT_EQ(r["thread"], "allowed: 42");
  // No new processes, no exec.
  EXPECT_THAT(r["fork_50"], StartsWith("blocked: PermissionError"));
  EXPECT_THAT(r["run_id"], StartsWith("blocked: PermissionError"));
  EXPECT_THAT(r["exec_id"], StartsWith("blocked: PermissionError"));
  EXPECT_THAT(r["allocate_8_gib"], StartsWith("blocked: MemoryError"));
  for (const char* call : {"ptrace", "mount", "unshare_user", "setns", "bpf", "keyctl",
                           "io_uring_setup", "userfaultfd"}) {
    EXPECT_THAT(r[call], StartsWith("blocked: PermissionError: [Errno 1]")) << call;
  }
  EXPECT_EQ(r["no_new_privs"], "allowed: 1");
  EXPECT_EQ(r["uid"], "allowed: 65534");
  EXPECT_EQ(r["home_env"], "allowed: '/tmp'");

  // The parent's side of each attempt.
  EXPECT_FALSE(listener.Connected());
  EXPECT_EQ(ReadTestFile(m.key), "PLANTED-SECRET-KEY");
  EXPECT_THAT(*doc, Not(HasSubstr("PLANTED-SECRET-KEY")));
  for (const std::string& planted : {m.repo + "/planted", m.hub_dir + "/planted",
                                     m.outside + "/planted", std::string("/usr/planted")}) {
    EXPECT_FALSE(std::filesystem::exists(planted)) << planted;
  }
}

TEST(SandboxTest, AHubconfThatSpinsIsStoppedByItsCpuLimit) {
  const Machine m;
  SandboxOptions options = m.Options();
  options.cpu_seconds = 2;
  const absl::StatusOr<HubconfDescription> d = m.Describe("while True:\n    pass\n", options);
  if (!BwrapNamespacesAvailable()) return ExpectRefusalWithoutNamespaces(d.status());
  EXPECT_THAT(d.status(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("CPU time")));
}

TEST(SandboxTest, AHubconfThatNeverAnswersIsStoppedAtTheTimeOut) {
  const Machine m;
  SandboxOptions options = m.Options();
  options.timeout = absl::Seconds(20);
  const absl::StatusOr<HubconfDescription> d =
      m.Describe("import time\ntime.sleep(10**6)\n", options);
  if (!BwrapNamespacesAvailable()) return ExpectRefusalWithoutNamespaces(d.status());
  EXPECT_THAT(d.status(), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no answer")));
}

TEST(SandboxTest, AnOversizedAnswerIsRefused) {
  const Machine m;
  SandboxOptions options = m.Options();
  options.max_message_bytes = 64 << 10;
  const absl::StatusOr<HubconfDescription> d =
      m.Describe("def big():\n    pass\nbig.__doc__ = 'x' * (1 << 20)\n", options);
  if (!BwrapNamespacesAvailable()) return ExpectRefusalWithoutNamespaces(d.status());
  EXPECT_THAT(d.status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("over the cap of 65536")));
}

TEST(SandboxTest, AForgedHugeLengthIsRefusedUnread) {
  const Machine m;
  // The hubconf writes on the worker's own socket, then waits forever: the
  // parent must refuse the header, not wait for 4 GiB or the time-out.
  const absl::StatusOr<HubconfDescription> d =
      m.Describe("import os, time\nos.write(3, b'\\xff\\xff\\xff\\xff')\ntime.sleep(10**6)\n");
  if (!BwrapNamespacesAvailable()) return ExpectRefusalWithoutNamespaces(d.status());
  EXPECT_THAT(d.status(), StatusIs(absl::StatusCode::kResourceExhausted,
                                   HasSubstr("answer is 4294967295 bytes")));
}

TEST(SandboxTest, AForgedMalformedAnswerIsDataLoss) {
  const Machine m;
  const absl::StatusOr<HubconfDescription> d = m.Describe(
      "import os, time\nos.write(3, b'\\x00\\x00\\x00\\x05d\\x00\\x00\\x00\\x09')\n"
      "time.sleep(10**6)\n");
  if (!BwrapNamespacesAvailable()) return ExpectRefusalWithoutNamespaces(d.status());
  EXPECT_THAT(d.status(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("malformed")));
}

TEST(SandboxTest, AKernelThatRefusesNamespacesGivesAClearErrorNotAFallback) {
  const Machine m;
  const std::string fake_bwrap = TestDir("bin") + "/bwrap";
  WriteTestFile(fake_bwrap,
                "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely "
                "because the kernel does not allow non-privileged user namespaces.' >&2\n"
                "exit 1\n");
  ASSERT_EQ(::chmod(fake_bwrap.c_str(), 0755), 0);
  SandboxOptions options = m.Options();
  options.bwrap_program = fake_bwrap;
  const absl::StatusOr<HubconfDescription> d = m.Describe("def a():\n    pass\n", options);
  EXPECT_THAT(d.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("No permissions to creating new namespace"),
                             HasSubstr("user namespaces"), HasSubstr("leave out --sandbox"))));
}

TEST(SandboxTest, MissingBubblewrapOrWorkerIsAClearError) {
  const Machine m;
  SandboxOptions options = m.Options();
  options.bwrap_program = "/nonexistent/bwrap";
  EXPECT_THAT(
      m.Describe("", options).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("apt-get install bubblewrap"), HasSubstr("leave out --sandbox"))));
  options = m.Options();
  options.worker_program = "/nonexistent/torchhub-python";
  EXPECT_THAT(m.Describe("", options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("/nonexistent/torchhub-python"),
                             HasSubstr("TORCHHUB_SANDBOX_WORKER"))));
}

}  // namespace
}  // namespace hub::sandbox
