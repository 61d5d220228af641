#include "hub/sandbox/sandbox.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
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

using ::hub::testing::IsOk;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The machine, and its hubconf's list/help answers through the sandbox.
struct Machine : TestMachine {
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

TEST(SandboxTest, AHostileHubconfIsStoppedAtEveryAttemptAndTheDiskIsUnharmed) {
  const Machine m;
  const Listener listener;
  ASSERT_EQ(::symlink(m.key.c_str(), (m.repo + "/leak").c_str()), 0);
  ASSERT_EQ(::symlink("../../home/.ssh/id_ed25519", (m.repo + "/leak_relative").c_str()), 0);
  const std::string constants = absl::StrCat("'", m.key, "', '", m.home, "', '", m.hub_dir, "', '",
                                             m.repo, "', '", m.outside, "', ", listener.port());
  const std::string hubconf = HostileHubconf(constants);
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
  SCOPED_TRACE(*doc);
  ExpectEveryAttemptBlocked(*doc);

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
  EXPECT_THAT(d.status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("is 4294967295 bytes")));
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
  EXPECT_THAT(d.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   AllOf(HasSubstr("No permissions to creating new namespace"),
                                         HasSubstr("user namespaces"), HasSubstr("--no-sandbox"))));
}

TEST(SandboxTest, MissingBubblewrapOrWorkerIsAClearError) {
  const Machine m;
  SandboxOptions options = m.Options();
  options.bwrap_program = "/nonexistent/bwrap";
  EXPECT_THAT(m.Describe("", options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("apt-get install bubblewrap"), HasSubstr("--no-sandbox"))));
  options = m.Options();
  options.worker_program = "/nonexistent/torchhub-python";
  EXPECT_THAT(m.Describe("", options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("/nonexistent/torchhub-python"),
                             HasSubstr("TORCHHUB_SANDBOX_WORKER"))));
}

// The pid a worker started early runs as ($TORCHHUB_SANDBOX_EARLY's second
// field); -1 when none is named.
pid_t EarlyWorkerPid() {
  const char* env = std::getenv(kEarlyWorkerEnv);
  if (env == nullptr) return -1;
  const std::vector<std::string> fields = absl::StrSplit(absl::string_view(env), ' ');
  int pid = -1;
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &pid)) return -1;
  return pid;
}

constexpr char kHonestHubconf[] =
    "dependencies = []\n"
    "def tiny():\n"
    "    '''Tiny.'''\n";

TEST(SandboxEarlyWorkerTest, AWorkerStartedEarlyIsTakenOverByTheNextCall) {
  const Machine m;
  const SandboxOptions options = m.Options();
  if (!BwrapNamespacesAvailable()) GTEST_SKIP() << "covered by the refusal tests";
  ASSERT_THAT(StartWorkerBeforeExec({m.hub_dir, m.repo}, options), IsOk());
  EXPECT_GT(EarlyWorkerPid(), 0);
  const int64_t adopted = EarlyWorkersAdopted();
  const absl::StatusOr<HubconfDescription> d = m.Describe(kHonestHubconf, options);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->entrypoints, ElementsAre("tiny"));
  EXPECT_EQ(EarlyWorkersAdopted(), adopted + 1);
  EXPECT_EQ(std::getenv(kEarlyWorkerEnv), nullptr) << "read once";
  // The next call starts its own.
  ASSERT_TRUE(m.Describe(kHonestHubconf, options).ok());
  EXPECT_EQ(EarlyWorkersAdopted(), adopted + 1);
}

TEST(SandboxEarlyWorkerTest, AWorkerThatSeesMoreThanTheCallNeedsIsStoppedNotUsed) {
  const Machine m;
  const SandboxOptions options = m.Options();
  if (!BwrapNamespacesAvailable()) GTEST_SKIP() << "covered by the refusal tests";
  // It would see `outside` too: the call must not hand the hubconf a view
  // wider than its own worker's.
  ASSERT_THAT(StartWorkerBeforeExec({m.hub_dir, m.repo, m.outside}, options), IsOk());
  const pid_t early = EarlyWorkerPid();
  ASSERT_GT(early, 0);
  const int64_t adopted = EarlyWorkersAdopted();
  const absl::StatusOr<HubconfDescription> d = m.Describe(kHonestHubconf, options);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(EarlyWorkersAdopted(), adopted);
  // Stopped and reaped: no such process any more.
  EXPECT_EQ(::kill(early, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(SandboxEarlyWorkerTest, AWorkerStartedWithOtherLimitsOrTooLittleViewIsNotUsed) {
  const Machine m;
  if (!BwrapNamespacesAvailable()) GTEST_SKIP() << "covered by the refusal tests";
  SandboxOptions other = m.Options();
  other.cpu_seconds = 7;
  ASSERT_THAT(StartWorkerBeforeExec({m.hub_dir, m.repo}, other), IsOk());
  const int64_t adopted = EarlyWorkersAdopted();
  ASSERT_TRUE(m.Describe(kHonestHubconf, m.Options()).ok());
  EXPECT_EQ(EarlyWorkersAdopted(), adopted);
  // Only the repo: the hub dir (read_only_dirs) would be missing.
  ASSERT_THAT(StartWorkerBeforeExec({m.repo}, m.Options()), IsOk());
  ASSERT_TRUE(m.Describe(kHonestHubconf, m.Options()).ok());
  EXPECT_EQ(EarlyWorkersAdopted(), adopted);
}

TEST(SandboxEarlyWorkerTest, ANamedWorkerThatIsNotOursIsIgnored) {
  const Machine m;
  if (!BwrapNamespacesAvailable()) GTEST_SKIP() << "covered by the refusal tests";
  const int64_t adopted = EarlyWorkersAdopted();
  // Garbage, and a well-formed line naming a process that is not our child
  // (pid 1) with descriptors 0 and 1: neither is touched.
  for (const char* spec :
       {"garbage", "v1 1 0 1 60 4294967296 67108864 268435456\n/usr/bin/bwrap\n/x\n/tmp"}) {
    ASSERT_EQ(::setenv(kEarlyWorkerEnv, spec, 1), 0);
    const absl::StatusOr<HubconfDescription> d = m.Describe(kHonestHubconf, m.Options());
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(std::getenv(kEarlyWorkerEnv), nullptr);
  }
  EXPECT_EQ(EarlyWorkersAdopted(), adopted);
  EXPECT_NE(::fcntl(0, F_GETFD), -1) << "stdin was closed";
  EXPECT_NE(::fcntl(1, F_GETFD), -1) << "stdout was closed";
}

TEST(SandboxEarlyWorkerTest, StartingTwiceOrWithoutDirsIsRefused) {
  const Machine m;
  ASSERT_EQ(::setenv(kEarlyWorkerEnv, "v1 1 2 3", 1), 0);
  EXPECT_THAT(StartWorkerBeforeExec({m.hub_dir}, m.Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already started")));
  ASSERT_EQ(::unsetenv(kEarlyWorkerEnv), 0);
  EXPECT_THAT(StartWorkerBeforeExec({}, m.Options()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StartWorkerBeforeExec({m.root + "/missing"}, m.Options()), Not(IsOk()));
}

}  // namespace
}  // namespace hub::sandbox
