#include "hub/sandbox/load.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/hubconf/hubconf.h"
#include "hub/sandbox/sandbox_testing.h"

namespace hub::sandbox {
namespace {

using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The machine, and loads of its hubconf through the sandbox.
struct Machine : TestMachine {
  absl::StatusOr<LoadedEntry> Load(const std::string& hubconf, const std::string& entry,
                                   const SandboxOptions& options, const HubArgs& args = {},
                                   const LoadOptions& load = {}) const {
    WriteTestFile(repo + "/hubconf.py", hubconf);
    return LoadEntrypointInSandbox(repo, entry, args, load, options);
  }
  absl::StatusOr<LoadedEntry> Load(const std::string& hubconf, const std::string& entry) const {
    return Load(hubconf, entry, Options());
  }
};

// Where bubblewrap cannot make its namespaces, the load must fail saying so
// (never run unsandboxed); returns whether the test should go on.
bool SandboxRuns(const absl::Status& status) {
  if (BwrapNamespacesAvailable()) return true;
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr("user namespaces"), HasSubstr("--sandbox"))));
  return false;
}

constexpr char kHonestHubconf[] = R"PY(
import torch
dependencies = ['torch']

class Net(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        self.a = torch.nn.Linear(4, width)
        self.b = torch.nn.Linear(width, 2)
    def forward(self, x):
        y = self.a(x).relu()
        if y.sum() > 0:
            y = y * 2
        return torch.softmax(self.b(y), dim=1)

def net(width=8):
    torch.manual_seed(0)
    return Net(width)

def traced_only():
    class Odd(torch.nn.Module):
        def forward(self, x):
            return x * len(self.__class__.__name__)  # not scriptable
    return Odd()

def weights():
    return {'a': torch.arange(6.).reshape(2, 3), 'b': torch.ones(4, dtype=torch.int64)}

def one():
    return torch.full((3,), 7.0, requires_grad=True)

def labels(n=2):
    return {'names': ['cat', 'dog'][:n], 'p': 0.5, 'ok': True, 'none': None}

def thing():
    return object()
)PY";

TEST(LoadInSandboxTest, AModuleComesBackAsTorchScriptThatComputesLikeTheInProcessLoad) {
  const Machine m;
  HubArgs args;
  args.kwargs = {{"width", HubValue(int64_t{16})}};
  absl::StatusOr<LoadedEntry> sandboxed = m.Load(kHonestHubconf, "net", m.Options(), args);
  if (!SandboxRuns(sandboxed.status())) return;
  ASSERT_TRUE(sandboxed.ok()) << sandboxed.status();
  EXPECT_EQ(sandboxed->kind, LoadedEntry::Kind::kModule);
  EXPECT_EQ(sandboxed->torchscript_method, "scripted");
  EXPECT_EQ(sandboxed->type_name, "hubconf.py.Net");
  EXPECT_FALSE(sandboxed->object.valid());

  absl::StatusOr<LoadedEntry> in_process = LoadEntrypoint(m.repo, "net", args);
  ASSERT_TRUE(in_process.ok()) << in_process.status();
  const at::Tensor x = at::randn({5, 4});
  const at::Tensor a = sandboxed->module->forward({x}).toTensor();
  const at::Tensor b = in_process->module->forward({x}).toTensor();
  EXPECT_TRUE(at::allclose(a, b, 1e-5, 1e-5)) << a << b;
}

TEST(LoadInSandboxTest, AModuleThatDoesNotScriptIsTracedWithTheExampleInputs) {
  const Machine m;
  LoadOptions load;
  load.example_inputs = std::vector<at::Tensor>{at::ones({2, 2})};
  absl::StatusOr<LoadedEntry> e = m.Load(kHonestHubconf, "traced_only", m.Options(), {}, load);
  if (!SandboxRuns(e.status())) return;
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->torchscript_method, "traced");
  EXPECT_TRUE(at::equal(e->module->forward({at::ones({2, 2})}).toTensor(), at::full({2, 2}, 3.)));
}

TEST(LoadInSandboxTest, TensorsAndPlainDataComeBackAsData) {
  const Machine m;
  const absl::StatusOr<LoadedEntry> w = m.Load(kHonestHubconf, "weights");
  if (!SandboxRuns(w.status())) return;
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(w->kind, LoadedEntry::Kind::kTensorDict);
  ASSERT_EQ(w->tensors.size(), 2u);
  EXPECT_EQ(w->tensors[0].first, "a");
  EXPECT_TRUE(at::equal(w->tensors[0].second, at::arange(6.).reshape({2, 3})));
  EXPECT_EQ(w->tensors[1].second.scalar_type(), at::kLong);

  const absl::StatusOr<LoadedEntry> t = m.Load(kHonestHubconf, "one");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->kind, LoadedEntry::Kind::kTensor);
  EXPECT_TRUE(at::equal(t->tensor, at::full({3}, 7.)));

  HubArgs args;
  args.args = {HubValue(int64_t{1})};
  const absl::StatusOr<LoadedEntry> v = m.Load(kHonestHubconf, "labels", m.Options(), args);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, LoadedEntry::Kind::kObject);
  ASSERT_TRUE(v->value.has_value());
  EXPECT_EQ(v->value->DebugString(), "{'names': ['cat'], 'p': 0.5, 'ok': True, 'none': None}");
}

TEST(LoadInSandboxTest, AnyOtherObjectSaysItNeedsTheSandboxOff) {
  const Machine m;
  const absl::StatusOr<LoadedEntry> e = m.Load(kHonestHubconf, "thing");
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("of type object"), HasSubstr("without the sandbox"),
                             HasSubstr("HubOptions::sandbox = false"))));
  LoadOptions python_object;
  python_object.torchscript = false;
  EXPECT_THAT(m.Load(kHonestHubconf, "net", m.Options(), {}, python_object).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("without the sandbox")));
}

TEST(LoadInSandboxTest, TheHubconfsOwnErrorComesBack) {
  const Machine m;
  const absl::StatusOr<LoadedEntry> e = m.Load(kHonestHubconf, "missing");
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("Cannot find callable")));
}

TEST(LoadInSandboxTest, AHostileHubconfIsStoppedAtEveryAttemptDuringLoad) {
  const Machine m;
  const Listener listener;
  ASSERT_EQ(::symlink(m.key.c_str(), (m.repo + "/leak").c_str()), 0);
  ASSERT_EQ(::symlink("../../home/.ssh/id_ed25519", (m.repo + "/leak_relative").c_str()), 0);
  const std::string constants = absl::StrCat("'", m.key, "', '", m.home, "', '", m.hub_dir, "', '",
                                             m.repo, "', '", m.outside, "', ", listener.port());
  SandboxOptions options = m.Options();
  options.tmp_bytes = 8 << 20;
  const absl::StatusOr<LoadedEntry> e = m.Load(HostileHubconf(constants), "results", options);
  if (!SandboxRuns(e.status())) return;
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->value.has_value());
  const std::string* report = e->value->get_if<std::string>();
  ASSERT_NE(report, nullptr);
  SCOPED_TRACE(*report);
  ExpectEveryAttemptBlocked(*report);
  EXPECT_EQ(ReadTestFile(m.key), "PLANTED-SECRET-KEY");
  EXPECT_THAT(*report, Not(HasSubstr("PLANTED-SECRET-KEY")));
  for (const std::string& planted :
       {m.repo + "/planted", m.hub_dir + "/planted", m.outside + "/planted"}) {
    EXPECT_FALSE(std::filesystem::exists(planted)) << planted;
  }
}

TEST(LoadInSandboxTest, AnAnswerOverTheCapIsRefused) {
  const Machine m;
  SandboxOptions options = m.Options();
  options.max_answer_bytes = 1 << 20;
  const absl::StatusOr<LoadedEntry> e =
      m.Load("import torch\ndef big():\n    return torch.zeros(1 << 20)\n", "big", options);
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("over the cap of 1048576")));
}

TEST(LoadInSandboxTest, AForgedHugeLengthIsRefusedUnread) {
  const Machine m;
  const absl::StatusOr<LoadedEntry> e = m.Load(
      "import os, time\ndef f():\n    os.write(3, b'\\xff\\xff\\xff\\xff')\n    "
      "time.sleep(10**6)\n",
      "f");
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("is 4294967295 bytes")));
}

TEST(LoadInSandboxTest, AForgedAnswerOfTheWrongShapeIsDataLoss) {
  const Machine m;
  // A module answer whose method is neither "scripted" nor "traced".
  const absl::StatusOr<LoadedEntry> e = m.Load(
      "import os, time\ndef f():\n"
      "    os.write(3, "
      "b'\\x00\\x00\\x00\\x0em\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01x\\x00\\x00\\x00\\x00')\n"
      "    time.sleep(10**6)\n",
      "f");
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("TorchScript method")));
}

// A large answer arrives in many reads, into room that grows as it comes:
// every byte lands where it belongs.
TEST(LoadInSandboxTest, ALargeAnswerArrivesWhole) {
  const Machine m;
  const absl::StatusOr<LoadedEntry> e = m.Load(
      "import torch\ndef big():\n    return torch.arange(3 * 2**20, dtype=torch.float32)\n", "big");
  if (!SandboxRuns(e.status())) return;
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->kind, LoadedEntry::Kind::kTensor);
  EXPECT_TRUE(at::equal(e->tensor, at::arange(3 * (1 << 20), at::kFloat)));
}

// An answer must be the worker's last word: bytes after it (here in the
// same write) are refused, not left for later.
TEST(LoadInSandboxTest, BytesAfterTheAnswerAreDataLoss) {
  const Machine m;
  const absl::StatusOr<LoadedEntry> e = m.Load(
      "import os, time\ndef f():\n"
      "    os.write(3, b'\\x00\\x00\\x00\\x02vx' + b'more')\n"
      "    time.sleep(10**6)\n",
      "f");
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("second message")));
}

TEST(LoadInSandboxTest, AnEntryThatNeverAnswersIsStoppedAtTheTimeOut) {
  const Machine m;
  SandboxOptions options = m.Options();
  options.timeout = absl::Seconds(20);
  const absl::StatusOr<LoadedEntry> e =
      m.Load("import time\ndef f():\n    time.sleep(10**6)\n", "f", options);
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no answer")));
}

TEST(LoadInSandboxTest, AnEntryThatSpinsIsStoppedByItsCpuLimit) {
  const Machine m;
  SandboxOptions options = m.Options();
  options.cpu_seconds = 3;
  const absl::StatusOr<LoadedEntry> e =
      m.Load("def f():\n    while True:\n        pass\n", "f", options);
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("CPU time")));
}

// TorchScript is untrusted: an op that reads a file is refused by name
// before the module is handed back.
TEST(LoadInSandboxTest, TorchScriptThatReadsAFileIsRefusedNamingTheOp) {
  const Machine m;
  const absl::StatusOr<LoadedEntry> e = m.Load(absl::StrCat("import torch\n"
                                                            "class Reader(torch.nn.Module):\n"
                                                            "    def forward(self, x):\n"
                                                            "        return x + self.peek()\n"
                                                            "    @torch.jit.export\n"
                                                            "    def peek(self):\n"
                                                            "        return torch.from_file('",
                                                            m.key,
                                                            "', size=8, dtype=torch.uint8).sum()\n"
                                                            "def reader():\n"
                                                            "    return Reader()\n"),
                                               "reader");
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(), StatusIs(absl::StatusCode::kPermissionDenied,
                                   AllOf(HasSubstr("aten::from_file"), HasSubstr("peek"))));
}

// torch::jit::load runs __setstate__ while loading: such an archive is
// refused unloaded.
TEST(LoadInSandboxTest, TorchScriptWithSetstateIsRefusedBeforeLoading) {
  const Machine m;
  const absl::StatusOr<LoadedEntry> e = m.Load(
      "import torch\n"
      "from typing import Tuple\n"
      "class Sneaky(torch.nn.Module):\n"
      "    def __init__(self):\n"
      "        super().__init__()\n"
      "        self.n = 1\n"
      "    def forward(self, x):\n"
      "        return x * self.n\n"
      "    @torch.jit.export\n"
      "    def __getstate__(self) -> Tuple[int, bool]:\n"
      "        return (self.n, self.training)\n"
      "    @torch.jit.export\n"
      "    def __setstate__(self, state: Tuple[int, bool]) -> None:\n"
      "        self.n = state[0]\n"
      "        self.training = state[1]\n"
      "def sneaky():\n"
      "    return Sneaky()\n",
      "sneaky");
  if (!SandboxRuns(e.status())) return;
  EXPECT_THAT(e.status(), StatusIs(absl::StatusCode::kPermissionDenied,
                                   AllOf(HasSubstr("__setstate__"), HasSubstr("before"))));
}

TEST(UntrustedTorchScriptTest, BytesThatAreNoArchiveAreDataLoss) {
  EXPECT_THAT(LoadUntrustedTorchScript("not a zip"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace hub::sandbox
