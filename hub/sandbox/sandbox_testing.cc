#include "hub/sandbox/sandbox_testing.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/test_dirs.h"

namespace hub::sandbox {

TestMachine::TestMachine()
    : root(hub::testing::TestDir("machine")),
      home(root + "/home"),
      key(home + "/.ssh/id_ed25519"),
      hub_dir(root + "/hub"),
      repo(hub_dir + "/owner_repo_main"),
      outside(root + "/outside"),
      weights(hub_dir + "/checkpoints/w.pt") {
  hub::testing::WriteTestFile(key, "PLANTED-SECRET-KEY");
  hub::testing::WriteTestFile(weights, "weights");
  std::filesystem::create_directories(repo);
  std::filesystem::create_directories(outside);
}

Listener::Listener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
  EXPECT_EQ(::listen(fd_, 8), 0);
  EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size), 0);
  port_ = ntohs(address.sin_port);
}

Listener::~Listener() { ::close(fd_); }

bool Listener::Connected() const {
  ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  const int c = ::accept(fd_, nullptr, nullptr);
  if (c >= 0) ::close(c);
  return c >= 0;
}

SandboxOptions TestMachine::Options() const {
  SandboxOptions options;
  options.worker_program = hub::testing::RunfilePath("hub/sandbox/torchhub-sandbox-worker");
  options.read_only_dirs = {hub_dir};
  return options;
}
namespace {

using ::testing::StartsWith;

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
def fill(directory):
    for i in range(1024):
        with open(directory + '/fill%%d' %% i, 'wb') as f:
            f.write(b'x' * (1 << 20))
    return i + 1
attempt('fill_tmp', lambda: fill('/tmp'))
attempt('write_outside', lambda: write(OUTSIDE + '/planted'))
attempt('write_usr', lambda: write('/usr/planted'))
attempt('write_root', lambda: write('/planted'))
attempt('write_repo', lambda: write(REPO + '/planted'))
attempt('write_hub_dir', lambda: write(HUB + '/planted'))
attempt('write_dev', lambda: write('/dev/planted'))
attempt('write_dev_shm', lambda: write('/dev/shm/planted'))
attempt('fill_dev_shm', lambda: fill('/dev/shm'))
attempt('write_dev_null', lambda: write('/dev/null'))
attempt('memfd_create', lambda: os.memfd_create('outside-the-tmp-cap'))
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

def results():
    return report.__doc__
)PY";

}  // namespace

bool BwrapNamespacesAvailable() {
  static const bool available =
      std::system(
          "/usr/bin/bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib "
          "--symlink usr/lib64 /lib64 --symlink usr/bin /bin /usr/bin/true "
          ">/dev/null 2>&1") == 0;
  return available;
}

std::string HostileHubconf(absl::string_view constants) {
  std::vector<char> hubconf(sizeof(kHostileHubconf) + constants.size() + 64);
  std::snprintf(hubconf.data(), hubconf.size(), kHostileHubconf, std::string(constants).c_str());
  return hubconf.data();
}

void ExpectEveryAttemptBlocked(absl::string_view report) {
  std::map<std::string, std::string> r;
  for (absl::string_view line : absl::StrSplit(report, '\n')) {
    const std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    r.insert(kv);
  }
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
  // bwrap's /dev is a tmpfs of its own with no size cap: read-only, its
  // devices still work; /dev/shm is capped like /tmp. Nor is there RAM
  // outside those caps in memfds.
  EXPECT_THAT(r["write_dev"], StartsWith("blocked: OSError: [Errno 30] Read-only file system"));
  EXPECT_EQ(r["write_dev_shm"], "allowed: 20");
  EXPECT_THAT(r["fill_dev_shm"],
              StartsWith("blocked: OSError: [Errno 28] No space left on device"));
  EXPECT_EQ(r["write_dev_null"], "allowed: 20");
  EXPECT_THAT(r["memfd_create"], StartsWith("blocked: PermissionError: [Errno 1]"));
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
}

}  // namespace hub::sandbox
