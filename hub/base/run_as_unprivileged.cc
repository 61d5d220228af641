#include "hub/base/run_as_unprivileged.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace hub::testing {
namespace {

// Exit codes of the child, read back by the parent.
constexpr int kChildPassed = 0;
constexpr int kChildFailed = 1;
constexpr int kChildStillPrivileged = 3;

bool GetCapabilities(__user_cap_data_struct (&data)[_LINUX_CAPABILITY_U32S_3]) {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  return syscall(SYS_capget, &header, &data[0]) == 0;
}

// Gives up every capability for good; false (with a message on stderr) when
// the kernel refused a step that matters.
bool DropAllCapabilities() {
  // Without this, an execve by uid 0 would be handed a full set again.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    std::fprintf(stderr, "RunAsUnprivileged: prctl(PR_SET_NO_NEW_PRIVS): %s\n",
                 std::strerror(errno));
    return false;
  }
  // The bounding set needs CAP_SETPCAP, which a container may lack; with
  // no_new_privs and an empty permitted set it only adds depth.
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap) {
    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  }
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capset, &header, &none[0]) != 0) {
    std::fprintf(stderr, "RunAsUnprivileged: capset: %s\n", std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

bool HasAnyCapability() {
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (!GetCapabilities(data)) return true;  // can't tell: assume the worst
  for (const __user_cap_data_struct& d : data) {
    if (d.effective != 0 || d.permitted != 0) return true;
  }
  return false;
}

absl::Status RunAsUnprivileged(absl::FunctionRef<void()> body) {
  if (geteuid() != 0) {
    body();
    return absl::OkStatus();
  }
  // Whatever is buffered now would otherwise be printed twice.
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = fork();
  if (child < 0) {
    return absl::InternalError(absl::StrCat("RunAsUnprivileged: fork: ", std::strerror(errno)));
  }
  if (child == 0) {
    int code = kChildPassed;
    if (!DropAllCapabilities() || HasAnyCapability()) {
      code = kChildStillPrivileged;
    } else {
      body();
      if (::testing::Test::HasFailure()) code = kChildFailed;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);  // no atexit handlers, no gtest report from the child
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(
          absl::StrCat("RunAsUnprivileged: waitpid: ", std::strerror(errno)));
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kChildPassed) return absl::OkStatus();
  if (WIFEXITED(status) && WEXITSTATUS(status) == kChildStillPrivileged) {
    return absl::InternalError(
        "RunAsUnprivileged: the child could not give up root's capabilities (see the line "
        "above); the unprivileged part of this test did not run");
  }
  if (WIFEXITED(status)) {
    return absl::InternalError(absl::StrCat("RunAsUnprivileged: the unprivileged part exited ",
                                            WEXITSTATUS(status),
                                            ": its failures are printed above"));
  }
  return absl::InternalError(
      absl::StrCat("RunAsUnprivileged: the unprivileged part died of ",
                   WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "an unknown cause"));
}

}  // namespace hub::testing
