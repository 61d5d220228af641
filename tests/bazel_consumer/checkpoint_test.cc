// torchhub-cpp from another workspace, on the hub dir torchhub_hub_dir
// assembled: it resolves the same hub dir and repo dir as torch.hub, and loads
// the pinned weights with its own (weights-only) checkpoint loader.
//
//   checkpoint_test TORCH_HOME OWNER/NAME:REF WEIGHTS_URL

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>

#include <torch/script.h>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/ref/repo_ref.h"

namespace {

std::string torch_home;
std::string repo;
std::string weights_url;

bool IsFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

class PinnedHubDirTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(setenv("TORCH_HOME", torch_home.c_str(), 1), 0); }
};

TEST_F(PinnedHubDirTest, FindsTheRepoWhereTorchHubWould) {
  EXPECT_EQ(hub::GetDir(), torch_home + "/hub");
  absl::StatusOr<hub::RepoRef> ref = hub::ParseRepoRef(repo);
  ASSERT_TRUE(ref.ok()) << ref.status();
  absl::StatusOr<std::string> dir = hub::CacheLayout(hub::GetDir()).RepoDir(*ref);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_TRUE(IsFile(*dir + "/hubconf.py")) << *dir;
  EXPECT_TRUE(IsFile(*dir + "/tinynet/layers.py")) << *dir;
  EXPECT_TRUE(IsFile(hub::CacheLayout(hub::GetDir()).TrustedListPath()));
}

TEST_F(PinnedHubDirTest, LoadsThePinnedWeights) {
  absl::StatusOr<std::string> path = hub::CheckpointPath(
      hub::CacheLayout(hub::GetDir()).CheckpointsDir(), weights_url, std::nullopt);
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<hub::checkpoint::Checkpoint> ckpt = hub::checkpoint::LoadCheckpoint(*path);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  auto state_dict = hub::checkpoint::ExtractStateDict(ckpt->value);
  ASSERT_TRUE(state_dict.ok()) << state_dict.status();
  ASSERT_EQ(state_dict->size(), 2u);
  EXPECT_EQ((*state_dict)[0].first, "weight");
  EXPECT_EQ((*state_dict)[1].first, "bias");
  // The values tests/bazel_consumer/run.sh saved.
  EXPECT_TRUE((*state_dict)[0].second.equal(torch::arange(6, torch::kFloat32).reshape({2, 3}) / 8));
  EXPECT_TRUE((*state_dict)[1].second.equal(torch::tensor({0.5F, -0.25F})));
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc != 4) {
    fprintf(stderr, "usage: %s TORCH_HOME OWNER/NAME:REF WEIGHTS_URL\n", argv[0]);
    return 2;
  }
  torch_home = argv[1];
  if (torch_home.front() != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) return 2;
    torch_home = std::string(cwd) + "/" + torch_home;
  }
  repo = argv[2];
  weights_url = argv[3];
  return RUN_ALL_TESTS();
}
