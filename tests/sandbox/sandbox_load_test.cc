// hub::Load with HubOptions::sandbox end to end: the hubconf's own
// torch.hub.load_state_dict_from_url, download_url_to_file and torch.hub.load
// are done by the parent, with its rules, and handed back read-only; weights
// come from nginx on loopback, nested repos from a GitHub lookalike
// (tests/servers/fake_github.h) on loopback.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/api/torch.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/hash/sha256.h"
#include "hub/sandbox/sandbox_testing.h"
#include "hub/trust/fake_prompter.h"
#include "tests/servers/fake_github.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/git_cli.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::FakeGithub;
using ::hub::testing::FaultServer;
using ::hub::testing::Git;
using ::hub::testing::NginxServer;
using ::hub::testing::RunfilePath;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class SandboxLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TORCHHUB_SANDBOX_WORKER", RunfilePath("hub/sandbox/torchhub-sandbox-worker").c_str(),
             1);
    root_ = TestDir("machine");
    hub_dir_ = root_ + "/hub";
    repo_ = hub_dir_ + "/owner_models_main";
    docroot_ = root_ + "/www";
    std::filesystem::create_directories(repo_);
    std::filesystem::create_directories(docroot_);
    SetDir(hub_dir_);
    // The weights, made now: a state dict torch.load reads.
    c10::Dict<std::string, at::Tensor> sd;
    sd.insert("w", at::arange(6.).reshape({2, 3}));
    const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(sd));
    weights_ = std::string(bytes.begin(), bytes.end());
    Sha256 hasher;
    hasher.Update(weights_);
    sha_ = hasher.HexDigest();
    file_name_ = absl::StrCat("w-", sha_.substr(0, 8), ".pt");
    WriteTestFile(docroot_ + "/" + file_name_, weights_);
    WriteTestFile(docroot_ + "/w-deadbeef.pt", weights_);
    absl::StatusOr<std::unique_ptr<NginxServer>> server =
        NginxServer::Start({.root = docroot_, .tls = false});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override { ClearDir(); }

  absl::StatusOr<LoadedEntry> Load(const std::string& hubconf, const std::string& entry,
                                   HubOptions options = {}) {
    WriteTestFile(repo_ + "/hubconf.py", hubconf);
    options.source = "local";
    options.sandbox = true;
    options.progress = false;
    return hub::Load(repo_, entry, {}, options);
  }

  std::string root_, hub_dir_, repo_, docroot_, weights_, sha_, file_name_;
  std::unique_ptr<NginxServer> server_;
};

bool SandboxRuns(const absl::Status& status) {
  if (sandbox::BwrapNamespacesAvailable()) return true;
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--sandbox")));
  return false;
}

TEST_F(SandboxLoadTest, WeightsTheHubconfDownloadsComeThroughTheParentHashChecked) {
  const absl::StatusOr<LoadedEntry> e =
      Load(absl::StrCat("import torch\n"
                        "def weights():\n"
                        "    return torch.hub.load_state_dict_from_url('",
                        server_->Url("/" + file_name_), "', check_hash=True)\n"),
           "weights");
  if (!SandboxRuns(e.status())) return;
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->kind, LoadedEntry::Kind::kTensorDict);
  ASSERT_EQ(e->tensors.size(), 1u);
  EXPECT_TRUE(at::equal(e->tensors[0].second, at::arange(6.).reshape({2, 3})));
  // The parent downloaded it into the checkpoints dir.
  EXPECT_TRUE(std::filesystem::exists(hub_dir_ + "/checkpoints/" + file_name_));
}

TEST_F(SandboxLoadTest, AWrongHashFailsInTheParentAndLeavesNothing) {
  const absl::StatusOr<LoadedEntry> e =
      Load(absl::StrCat("import torch\n"
                        "def weights():\n"
                        "    return torch.hub.load_state_dict_from_url('",
                        server_->Url("/w-deadbeef.pt"), "', check_hash=True)\n"),
           "weights");
  if (!SandboxRuns(e.status())) return;
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), AllOf(HasSubstr("outside the sandbox"), HasSubstr("deadbeef")));
  EXPECT_FALSE(std::filesystem::exists(hub_dir_ + "/checkpoints/w-deadbeef.pt"));
}

TEST_F(SandboxLoadTest, DownloadUrlToFileLandsReadOnlyAndTheHubconfCopiesIt) {
  const absl::StatusOr<LoadedEntry> e =
      Load(absl::StrCat("import torch\n"
                        "def fetched():\n"
                        "    torch.hub.download_url_to_file('",
                        server_->Url("/" + file_name_), "', '/tmp/w.pt', hash_prefix='",
                        sha_.substr(0, 16),
                        "')\n"
                        "    return len(open('/tmp/w.pt', 'rb').read())\n"),
           "fetched");
  if (!SandboxRuns(e.status())) return;
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->value.has_value());
  EXPECT_EQ(e->value->DebugString(), std::to_string(weights_.size()));
}

// Tricks with the forwarded request: another scheme, a file name that climbs
// out of the checkpoints dir. The parent refuses each; nothing is written.
TEST_F(SandboxLoadTest, PathAndUrlTricksAreRefusedByTheParent) {
  const std::string key = root_ + "/home/.ssh/id_ed25519";
  WriteTestFile(key, "PLANTED-SECRET-KEY");
  const absl::StatusOr<LoadedEntry> e =
      Load(absl::StrCat("import torch\n"
                        "R = []\n"
                        "def attempt(f):\n"
                        "    try:\n"
                        "        R.append('allowed: %r' % (f(),))\n"
                        "    except Exception as e:\n"
                        "        R.append('blocked: %s' % e)\n"
                        "def tricks():\n"
                        "    attempt(lambda: torch.hub.load_state_dict_from_url('file://",
                        key,
                        "'))\n"
                        "    attempt(lambda: torch.hub.download_url_to_file('FILE://",
                        key,
                        "', '/tmp/k'))\n"
                        "    attempt(lambda: torch.hub.load_state_dict_from_url('",
                        server_->Url("/" + file_name_),
                        "', file_name='../../escaped.pt'))\n"
                        "    attempt(lambda: torch.hub.load('/etc', 'x', source='local'))\n"
                        "    return R\n"),
           "tricks");
  if (!SandboxRuns(e.status())) return;
  ASSERT_TRUE(e.ok()) << e.status();
  const std::string r = e->value->DebugString();
  SCOPED_TRACE(r);
  EXPECT_THAT(r, Not(HasSubstr("allowed")));
  EXPECT_THAT(r, HasSubstr("only http:// and https://"));
  EXPECT_THAT(r, Not(HasSubstr("PLANTED")));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/escaped.pt"));
  EXPECT_FALSE(std::filesystem::exists(hub_dir_ + "/escaped.pt"));
}

// A nested torch.hub.load of a GitHub repo is fetched by the parent, with
// the parent's settings: offline, an uncached repo is refused there.
TEST_F(SandboxLoadTest, ANestedLoadIsDecidedByTheParent) {
  HubOptions options;
  options.fetch.offline = true;
  const absl::StatusOr<LoadedEntry> e = Load(
      "import torch\n"
      "def nested():\n"
      "    return torch.hub.load('someone/elsewhere', 'x', trust_repo=True)\n",
      "nested", options);
  if (!SandboxRuns(e.status())) return;
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), AllOf(HasSubstr("outside the sandbox"), HasSubstr("someone")));
}

// The success path of a nested load: repo acme/nested, made now with git,
// is served by a GitHub lookalike on loopback. The sandboxed hubconf's
// torch.hub.load('acme/nested', ..., trust_repo=True) asks the parent, which
// fetches the repo with its own trust mode (here: ask, through `prompter`;
// the hubconf's trust_repo=True counts for nothing), and the nested
// entrypoint runs in the worker.
class NestedLoadTest : public SandboxLoadTest {
 protected:
  void SetUp() override {
    SandboxLoadTest::SetUp();
    if (HasFatalFailure()) return;
    const std::string work = root_ + "/work/acme_nested";
    const std::string github_root = root_ + "/github";
    WriteTestFile(work + "/hubconf.py",
                  "dependencies = ['torch']\n"
                  "def sevens(n):\n"
                  "    import torch\n"
                  "    return torch.full((n,), 7.0)\n"
                  "def linear():\n"
                  "    import torch\n"
                  "    torch.manual_seed(0)\n"
                  "    return torch.nn.Linear(3, 2).eval()\n");
    Git(work, {"init", "-q", "-b", "main"});
    Git(work, {"add", "."});
    Git(work, {"commit", "-q", "-m", "one"});
    const std::string sha = Git(work, {"rev-parse", "HEAD"});
    FakeGithub github(github_root);
    github.PublishArchive(work, "acme/nested", "main");
    github.PublishBranches("acme/nested", {{"main", sha}});
    github.PublishTags("acme/nested", {});
    github.PublishMainBranchProbe("acme/nested");
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = github_root});
    ASSERT_TRUE(server.ok()) << server.status();
    github_ = *std::move(server);
  }

  // Loads `entry` of a hubconf that loads `nested` of acme/nested, with the
  // parent asking `prompter` whether to trust it.
  absl::StatusOr<LoadedEntry> LoadNested(const std::string& entry, const std::string& nested_call) {
    HubOptions options;
    options.trust_repo = TrustMode::kCheck;
    options.fetch.trust.prompter = &prompter_;
    options.fetch.trust.use_environment = false;
    options.fetch.endpoints = FakeGithub::Endpoints(github_->base_url());
    std::ostringstream out, err;
    options.fetch.out = &out;
    options.fetch.err = &err;
    return Load(absl::StrCat("import torch\n"
                             "def ",
                             entry,
                             "():\n"
                             "    return torch.hub.",
                             nested_call, "\n"),
                entry, options);
  }

  FakePrompter prompter_;
  std::unique_ptr<FaultServer> github_;
};

TEST_F(NestedLoadTest, ANestedGithubLoadTrustedInTheParentRunsInTheWorker) {
  prompter_ = FakePrompter({"y"});
  const absl::StatusOr<LoadedEntry> e =
      LoadNested("outer", "load('acme/nested', 'sevens', 4, trust_repo=True)");
  if (!SandboxRuns(e.status())) return;
  ASSERT_TRUE(e.ok()) << e.status();
  // The parent asked (the hubconf's trust_repo=True decided nothing) and
  // recorded the yes.
  EXPECT_THAT(prompter_.questions(), ElementsAre(HasSubstr("acme_nested")));
  EXPECT_THAT(hub::testing::ReadTestFile(hub_dir_ + "/trusted_list"), HasSubstr("acme_nested"));
  // The parent fetched it into the hub dir; the worker ran its entrypoint.
  EXPECT_TRUE(std::filesystem::exists(hub_dir_ + "/acme_nested_main/hubconf.py"));
  ASSERT_EQ(e->kind, LoadedEntry::Kind::kTensor);
  EXPECT_TRUE(at::equal(e->tensor, at::full({4}, 7.0)));
}

TEST_F(NestedLoadTest, ANestedModuleComesBackAsCheckedTorchScript) {
  prompter_ = FakePrompter({"y"});
  absl::StatusOr<LoadedEntry> e = LoadNested("outer", "load('acme/nested', 'linear')");
  if (!SandboxRuns(e.status())) return;
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->kind, LoadedEntry::Kind::kModule);
  ASSERT_TRUE(e->module.has_value());
  // The nested repo's Linear(3, 2), scripted in the worker and checked here.
  const at::Tensor x = at::ones({1, 3});
  const at::Tensor y = e->module->forward({x}).toTensor();
  const at::Tensor w = e->module->attr("weight").toTensor();
  const at::Tensor b = e->module->attr("bias").toTensor();
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(at::allclose(y, x.matmul(w.t()) + b));
}

TEST_F(NestedLoadTest, TrustRefusedInTheParentIsAClearErrorOfTheSandboxedLoad) {
  prompter_ = FakePrompter({"n"});
  const absl::StatusOr<LoadedEntry> e =
      LoadNested("outer", "load('acme/nested', 'sevens', 4, trust_repo=True)");
  if (!SandboxRuns(e.status())) return;
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(prompter_.questions(), ElementsAre(HasSubstr("acme_nested")));
  EXPECT_THAT(std::string(e.status().message()),
              AllOf(HasSubstr("in the sandbox"), HasSubstr("outside the sandbox"),
                    HasSubstr("Untrusted repository"),
                    HasSubstr("never by the trust_repo the hubconf passes")));
  // The repo's code was never downloaded.
  EXPECT_FALSE(std::filesystem::exists(hub_dir_ + "/acme_nested_main"));
  const absl::StatusOr<std::vector<FaultServer::Request>> arrivals = github_->ReadArrivals();
  ASSERT_TRUE(arrivals.ok()) << arrivals.status();
  for (const FaultServer::Request& r : *arrivals) EXPECT_THAT(r.path, Not(HasSubstr("zipball")));
}

// The legitimate side: torchvision's resnet18 with weights its hubconf
// downloads (made now with /usr/bin/python3, served on loopback), loaded in
// the sandbox and in this process, computes the same.
TEST_F(SandboxLoadTest, Resnet18LoadsSandboxedAndComputesLikeTheInProcessLoad) {
  const std::string weights = docroot_ + "/resnet18-random.pth";
  absl::StatusOr<hub::testing::CommandResult> made = hub::testing::RunCommand(
      {"/usr/bin/python3", "-c",
       absl::StrCat("import torch, torchvision\ntorch.manual_seed(0)\n"
                    "torch.save(torchvision.models.resnet18().state_dict(), '",
                    weights, "')\n")});
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_EQ(made->exit_code, 0) << made->output;
  const absl::StatusOr<std::string> sha = Sha256FileHex(weights);
  ASSERT_TRUE(sha.ok()) << sha.status();
  const std::string name = absl::StrCat("resnet18-", sha->substr(0, 8), ".pth");
  std::filesystem::rename(weights, docroot_ + "/" + name);
  // The in-process load's torch.hub keeps its downloads under TORCH_HOME.
  ::setenv("TORCH_HOME", (root_ + "/torch_home").c_str(), 1);
  const std::string hubconf = absl::StrCat(
      "dependencies = ['torch', 'torchvision']\n"
      "def resnet18():\n"
      "    import torch, torchvision\n"
      "    model = torchvision.models.resnet18()\n"
      "    model.load_state_dict(torch.hub.load_state_dict_from_url('",
      server_->Url("/" + name),
      "', check_hash=True))\n"
      "    return model.eval()\n");

  absl::StatusOr<LoadedEntry> sandboxed = Load(hubconf, "resnet18");
  if (!SandboxRuns(sandboxed.status())) return;
  ASSERT_TRUE(sandboxed.ok()) << sandboxed.status();
  ASSERT_EQ(sandboxed->kind, LoadedEntry::Kind::kModule);
  EXPECT_TRUE(std::filesystem::exists(hub_dir_ + "/checkpoints/" + name));

  HubOptions in_process_options;
  in_process_options.source = "local";
  in_process_options.sandbox = false;
  absl::StatusOr<LoadedEntry> in_process = hub::Load(repo_, "resnet18", {}, in_process_options);
  ASSERT_TRUE(in_process.ok()) << in_process.status();

  at::manual_seed(1);
  const at::Tensor x = at::rand({2, 3, 224, 224});
  const at::Tensor a = sandboxed->module->forward({x}).toTensor();
  const at::Tensor b = in_process->module->forward({x}).toTensor();
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_LE((a - b).abs().max().item<double>(), 1e-5);
  // And they are the served weights, not a fresh random init.
  const absl::StatusOr<StateDictResult> served =
      LoadStateDictFromFile(docroot_ + "/" + name, HubOptions{});
  ASSERT_TRUE(served.ok()) << served.status();
  bool compared = false;
  for (const auto& [key, tensor] : served->state_dict) {
    if (key != "fc.weight") continue;
    EXPECT_TRUE(
        at::equal(sandboxed->module->attr("fc").toModule().attr("weight").toTensor(), tensor));
    compared = true;
  }
  EXPECT_TRUE(compared);
}

// The sandbox is the default: a Python object does not come back unless the
// caller opts out.
TEST_F(SandboxLoadTest, TheSandboxIsTheDefaultAndTheOptOutIsNamed) {
  WriteTestFile(repo_ + "/hubconf.py", "def tool():\n    return object()\n");
  HubOptions options;
  options.source = "local";
  const absl::StatusOr<LoadedEntry> sandboxed = hub::Load(repo_, "tool", {}, options);
  EXPECT_THAT(sandboxed.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--no-sandbox")));
  options.sandbox = false;
  const absl::StatusOr<LoadedEntry> in_process = hub::Load(repo_, "tool", {}, options);
  ASSERT_TRUE(in_process.ok()) << in_process.status();
  EXPECT_TRUE(in_process->object.valid());
}

}  // namespace
}  // namespace hub
