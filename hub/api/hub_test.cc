// The facade end to end, hermetically: a hub dir made here (a cached GitHub
// repo needs no network when its ref is given), checkpoints and files from a
// fault server on 127.0.0.1.
#include "hub/api/torch.h"

#include <ATen/ATen.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/base/warnings.h"
#include "hub/fs/files.h"
#include "hub/lock/lock_file.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::FaultServer;
using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

HubOptions InProcess() {
  HubOptions options;
  options.sandbox = false;
  return options;
}

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_dir_ = TestDir("hub");
    SetDir(hub_dir_);
    repo_dir_ = absl::StrCat(hub_dir_, "/owner_models_main");
    WriteTestFile(absl::StrCat(repo_dir_, "/hubconf.py"), R"PY(
dependencies = ['torch']
import torch


def linear(n=2):
    """A Linear(n, 1) with weights 0.5."""
    m = torch.nn.Linear(n, 1)
    torch.nn.init.constant_(m.weight, 0.5)
    torch.nn.init.zeros_(m.bias)
    return m


def _hidden():
    pass
)PY");
    options_.trust_repo = TrustMode::kTrue;
  }
  void TearDown() override { ClearDir(); }

  std::string hub_dir_;
  std::string repo_dir_;
  // In this process: these tests are about the facade's fetching, trust and
  // locks (tests/sandbox tests the sandboxed path; this binary has no worker
  // beside it).
  HubOptions options_ = InProcess();
};

TEST_F(HubTest, ListHelpAndLoadACachedRepo) {
  EXPECT_THAT(List("owner/models:main", options_), IsOkAndHolds(ElementsAre("linear")));
  EXPECT_THAT(Help("owner/models:main", "linear", options_),
              IsOkAndHolds(::testing::Optional(std::string("A Linear(n, 1) with weights 0.5."))));
  HubArgs args;
  args.kwargs = {{"n", HubValue(3)}};
  absl::StatusOr<LoadedEntry> m = Load("owner/models:main", "linear", args, options_);
  ASSERT_THAT(m, IsOk());
  ASSERT_EQ(m->kind, LoadedEntry::Kind::kModule);
  const at::Tensor y = m->module->forward({at::ones({1, 3})}).toTensor();
  EXPECT_FLOAT_EQ(y.item<float>(), 1.5f);
}

TEST_F(HubTest, TrustRepoNoneWarnsAndGoesOnAsTorchHubDoes) {
  std::vector<std::string> warnings;
  ScopedWarningHandler capture(
      [&](WarningCategory, absl::string_view m) { warnings.emplace_back(m); });
  HubOptions none = InProcess();  // torch.hub's default
  // A repo already in the hub dir counts as trusted (torch.hub's rule).
  EXPECT_THAT(List("owner/models:main", none), IsOkAndHolds(ElementsAre("linear")));
  EXPECT_TRUE(warnings.empty());
  // One that isn't: a warning, then the fetch (offline here, so it fails).
  none.fetch.offline = true;
  EXPECT_THAT(List("stranger/repo:main", none), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_FALSE(warnings.empty());
  EXPECT_THAT(warnings[0], HasSubstr("untrusted repository"));
}

TEST_F(HubTest, SourceLocalAndUnknownSources) {
  HubOptions local = options_;
  local.source = "LOCAL";  // lower-cased, as torch.hub does
  EXPECT_THAT(List(repo_dir_, local), IsOkAndHolds(ElementsAre("linear")));
  absl::StatusOr<LoadedEntry> m = Load(repo_dir_, "linear", {}, local);
  ASSERT_THAT(m, IsOk());
  local.source = "gitlab";
  EXPECT_THAT(Load(repo_dir_, "linear", {}, local),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Unknown source: \"gitlab\". Allowed values: \"github\" | \"local\"."));
  EXPECT_THAT(Load("owner/models:main", "_missing", {}, options_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Cannot find callable _missing")));
}

TEST_F(HubTest, LocalRepoDirResolvesSymlinksAndRefusesNonDirectories) {
  const std::string link = TestDir("links") + "/repo";
  ASSERT_EQ(::symlink(repo_dir_.c_str(), link.c_str()), 0);
  HUB_ASSERT_OK_AND_ASSIGN(const std::string real, RealPath(repo_dir_, "repo"));
  EXPECT_THAT(LocalRepoDir(link), IsOkAndHolds(real));
  WriteTestFile(TestDir("links") + "/file", "");
  EXPECT_THAT(LocalRepoDir(TestDir("links") + "/file"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("is not a directory")));
  EXPECT_THAT(LocalRepoDir(TestDir("links") + "/missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("is not a directory")));
}

TEST_F(HubTest, OfflineWithoutTheRepoSaysWhatIsMissing) {
  HubOptions offline = options_;
  offline.fetch.offline = true;
  EXPECT_THAT(List("owner/other:main", offline), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(HubTest, DownloadsAndStateDictsFromAServer) {
  const std::string www = TestDir("www");
  const std::string script = absl::StrCat(R"PY(
import collections, torch
torch.save(collections.OrderedDict(w=torch.arange(6.).reshape(2, 3), b=torch.ones(2)),
           ')PY",
                                          www, R"PY(/weights-0000.pth')
)PY");
  absl::StatusOr<testing::CommandResult> py =
      testing::RunCommand({"/usr/bin/python3", "-c", script});
  ASSERT_TRUE(py.ok() && py->exit_code == 0) << (py.ok() ? py->output : py.status().ToString());
  absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = www});
  ASSERT_THAT(server, IsOk());

  const std::string dst = TestDir("dl") + "/w.pth";
  absl::StatusOr<DownloadResult> d =
      DownloadUrlToFile((*server)->Url("/weights-0000.pth"), dst, std::nullopt, false);
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(DownloadUrlToFile((*server)->Url("/weights-0000.pth"), dst + "2",
                                std::string("00000000"), false),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("invalid hash value")));

  HubOptions o = options_;
  o.progress = false;
  absl::StatusOr<StateDictResult> sd = LoadStateDictFromUrl((*server)->Url("/weights-0000.pth"), o);
  ASSERT_THAT(sd, IsOk());
  EXPECT_TRUE(sd->downloaded);
  EXPECT_EQ(sd->path, hub_dir_ + "/checkpoints/weights-0000.pth");
  ASSERT_EQ(sd->state_dict.size(), 2u);
  EXPECT_EQ(sd->state_dict[0].first, "w");
  EXPECT_TRUE(at::equal(sd->state_dict[0].second, at::arange(6.).reshape({2, 3}).to(at::kFloat)));
  // A cached file is used as is, as in torch.hub (check_hash would fail
  // on a download: its name's hash is 0000).
  o.check_hash = true;
  absl::StatusOr<StateDictResult> again =
      LoadStateDictFromUrl((*server)->Url("/weights-0000.pth"), o);
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->downloaded);
}

// HubOptions::lock_file: a cached repo loads only with the pinned content,
// a URL only with the pinned digest.
TEST_F(HubTest, ALockFileIsEnforced) {
  absl::StatusOr<std::string> digest = ContentDigest(repo_dir_);
  ASSERT_THAT(digest, IsOk());
  LockFile lock;
  lock.Put(LockedRepo{"owner/models", "main", std::string(40, 'a'), *digest, ""});
  const std::string www = TestDir("www_lock");
  WriteTestFile(www + "/w.pth", "not what the lock pins");
  lock.Put(LockedFile{"http://127.0.0.1:1/w.pth", "w.pth", std::string(64, 'b'), 22});
  options_.lock_file = TestDir("project") + "/torchhub.lock";
  ASSERT_THAT(WriteLockFile(options_.lock_file, lock), IsOk());
  options_.fetch.offline = true;

  EXPECT_THAT(List("owner/models", options_), IsOkAndHolds(ElementsAre("linear")));
  EXPECT_THAT(List("owner/other", options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not in the lock file")));
  WriteTestFile(repo_dir_ + "/extra.py", "");
  EXPECT_THAT(List("owner/models", options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("content digest")));

  absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = www});
  ASSERT_THAT(server, IsOk());
  options_.progress = false;
  EXPECT_THAT(LoadStateDictFromUrl((*server)->Url("/w.pth"), options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not in the lock file")));
  lock.Put(LockedFile{(*server)->Url("/w.pth"), "w.pth", std::string(64, 'b'), 22});
  ASSERT_THAT(WriteLockFile(options_.lock_file, lock), IsOk());
  EXPECT_THAT(LoadStateDictFromUrl((*server)->Url("/w.pth"), options_),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_FALSE(PathExists(hub_dir_ + "/checkpoints/w.pth"));
}

}  // namespace
}  // namespace hub
