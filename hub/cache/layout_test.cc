#include "hub/cache/layout.h"

#include <set>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub {
namespace {

using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

RepoRef Repo(const std::string& s) { return *ParseRepoRef(s); }

TEST(CacheLayoutTest, RepoDirIsOwnerNameNormalisedRef) {
  const CacheLayout cache("/h");
  EXPECT_THAT(cache.RepoDir(Repo("pytorch/vision:v0.10.0")),
              IsOkAndHolds("/h/pytorch_vision_v0.10.0"));
  EXPECT_THAT(cache.RepoDir(Repo("ailzhang/torchhub_example:ci/test_slash")),
              IsOkAndHolds("/h/ailzhang_torchhub_example_ci_test_slash"));
  // Every slash, not only the first (torch.hub's ref.replace('/', '_')).
  EXPECT_THAT(cache.RepoDir(Repo("o/n:release/2.1/rc/1")), IsOkAndHolds("/h/o_n_release_2.1_rc_1"));
  EXPECT_THAT(CacheLayout("/h/").RepoDir(Repo("a/b:c")), IsOkAndHolds("/h/a_b_c"));
  EXPECT_THAT(CacheLayout("hub").RepoDir(Repo("a/b:c")), IsOkAndHolds("hub/a_b_c"));
}

TEST(CacheLayoutTest, RepoDirNeedsARef) {
  EXPECT_THAT(CacheLayout("/h").RepoDir(Repo("pytorch/vision")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("resolve the default branch first")));
}

TEST(CacheLayoutTest, FallbackDirsAreMainThenMaster) {
  EXPECT_THAT(CacheLayout("/h").DefaultBranchFallbackDirs(Repo("pytorch/vision")),
              ElementsAre("/h/pytorch_vision_main", "/h/pytorch_vision_master"));
  // String joining, not os.path.join, as torch.hub does.
  EXPECT_THAT(CacheLayout("/h/").DefaultBranchFallbackDirs(Repo("a/b")),
              ElementsAre("/h//a_b_main", "/h//a_b_master"));
}

TEST(CacheLayoutTest, FixedNames) {
  const CacheLayout cache("/h");
  EXPECT_EQ(cache.TrustedListPath(), "/h/trusted_list");
  EXPECT_EQ(cache.CheckpointsDir(), "/h/checkpoints");
  EXPECT_EQ(cache.PythonArchivePath("release/1.0"), "/h/release_1.0.zip");
  EXPECT_EQ(CacheLayout("").TrustedListPath(), "trusted_list");
}

TEST(CacheLayoutTest, OwnNamesAreHidden) {
  const CacheLayout cache("/h");
  EXPECT_EQ(cache.EntryCacheDir(), "/h/.torchhub-cpp/entrypoints");
  EXPECT_EQ(cache.RepoArchivePath("o_n_main"), "/h/.o_n_main.zip");
  EXPECT_THAT(cache.RepoScratchPath("o_n_main", "staging"),
              MatchesRegex("/h/\\.o_n_main\\.[0-9a-f]{32}\\.staging"));
  EXPECT_EQ(SourceRecordPath("/h/checkpoints", "w.pth"), "/h/checkpoints/.w.pth.source");
  EXPECT_EQ(RepoLockPath("/h", "o_n_main"), "/h/.o_n_main.lock");
}

TEST(CacheLayoutTest, LockPathIsHiddenBesideItsFile) {
  EXPECT_EQ(LockPath("/h/checkpoints/w.pth"), "/h/checkpoints/.w.pth.lock");
  EXPECT_EQ(LockPath("w.pth"), ".w.pth.lock");
  EXPECT_EQ(LockPath("/h/trusted_list"), "/h/.trusted_list.lock");
  EXPECT_EQ(LockPath("/h/o_n_main"), RepoLockPath("/h", "o_n_main"));
  EXPECT_EQ(LegacyLockPath("/h/checkpoints/w.pth"), "/h/checkpoints/w.pth.lock");
}

TEST(CacheLayoutTest, OwnNamesReadBack) {
  EXPECT_EQ(SourceRecordOwner(".w.pth.source"), "w.pth");
  EXPECT_EQ(LockOwner(".w.pth.lock"), "w.pth");
  EXPECT_EQ(LockOwner("..o_n_main.zip.lock"), ".o_n_main.zip");
  for (const char* not_ours : {"w.pth.lock", ".lock", "..lock", "w.pth", ".w.pth.source"}) {
    EXPECT_EQ(LockOwner(not_ours), std::nullopt) << not_ours;
  }
  EXPECT_EQ(SourceRecordOwner(".source"), std::nullopt);
  const std::string hex(32, 'a');
  const std::string staging = ".o_n_main." + hex + ".staging";
  EXPECT_EQ(RepoScratchOwner(staging), "o_n_main");
  EXPECT_EQ(RepoScratchOwner(".o_n_main." + hex + ".old"), "o_n_main");
  EXPECT_EQ(RepoScratchOwner(".o_n_main." + hex + ".pruning"), "o_n_main");
  EXPECT_EQ(RepoScratchOwner(staging + "." + hex + ".extracting"), "o_n_main");
  EXPECT_EQ(RepoScratchOwner(staging + "." + hex + ".fetching"), "o_n_main");
  EXPECT_EQ(RepoScratchOwner(".o_n_main.zip"), "o_n_main");
  for (const char* not_ours : {"o_n_main", ".o_n_main.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.staging",
                               ".o_n_main.abc.staging", "..x.zip", ".zip", "main.zip"}) {
    EXPECT_EQ(RepoScratchOwner(not_ours), std::nullopt) << not_ours;
  }
  EXPECT_EQ(DownloadTempTarget("w.pth." + hex + ".partial"), "w.pth");
  EXPECT_EQ(DownloadTempTarget("w.pth"), "w.pth");
}

TEST(CheckpointFileNameTest, BasenameOfUrlPathOrFileName) {
  EXPECT_THAT(CheckpointFileName("https://x/m/resnet18-5c106cde.pth?a=1", std::nullopt),
              IsOkAndHolds("resnet18-5c106cde.pth"));
  EXPECT_THAT(CheckpointFileName("https://x/m/weights.pth", "the_file_name"),
              IsOkAndHolds("the_file_name"));
  EXPECT_THAT(CheckpointPath("/h/checkpoints", "https://x/y/z.pt", std::nullopt),
              IsOkAndHolds("/h/checkpoints/z.pt"));
}

TEST(CheckpointFileNameTest, RefusesNamesThatAreNotPlainFiles) {
  EXPECT_THAT(CheckpointFileName("https://x/dir/", std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is empty")));
  EXPECT_THAT(CheckpointFileName("https://x/a/..", std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("names a directory")));
  EXPECT_THAT(CheckpointFileName("https://x/a", "../../etc/passwd"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contains \"/\"")));
  EXPECT_THAT(CheckpointFileName("https://x/a", std::string(256, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("255")));
  EXPECT_THAT(CheckpointFileName("https://x/a", std::string("a\0b", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NUL")));
}

TEST(CheckpointFileNameTest, RefusesTheCachesOwnBookkeepingNames) {
  for (const char* url : {"https://x/.resnet18.pth.source", "https://x/resnet18.pth.lock",
                          "https://x/w.pth.0123456789abcdef0123456789abcdef.partial"}) {
    EXPECT_THAT(CheckpointFileName(url, std::nullopt),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cache's own records")))
        << url;
  }
  EXPECT_THAT(CheckpointFileName("https://x/a", ".w.pth.source"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Near misses are plain names.
  for (const char* url : {"https://x/.hidden.pth", "https://x/w.source", "https://x/w.lock.pth",
                          "https://x/w.pth.partial"}) {
    EXPECT_THAT(CheckpointFileName(url, std::nullopt), ::hub::testing::IsOk()) << url;
  }
}

TEST(DownloadTempPathTest, IsDstDotHexDotPartial) {
  const std::string temp = DownloadTempPath("/h/checkpoints/w.pth");
  EXPECT_THAT(temp, MatchesRegex("/h/checkpoints/w\\.pth\\.[0-9a-f]{32}\\.partial"));
  EXPECT_TRUE(IsDownloadTempName(temp.substr(temp.rfind('/') + 1)));
  EXPECT_FALSE(IsDownloadTempName("w.pth"));
  EXPECT_FALSE(IsDownloadTempName("w.pth.partial"));
  EXPECT_FALSE(IsDownloadTempName("w.pth.0123456789ABCDEF0123456789abcdef.partial"));
}

TEST(DownloadTempPathTest, NamesAreFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(DownloadTempPath("d"));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(DownloadTempPathTest, LongNamesStayWithinTheFileSystemLimit) {
  const std::string temp = DownloadTempPath("/h/" + std::string(250, 'n'));
  const std::string base = temp.substr(3);
  EXPECT_EQ(base.size(), 255u);
  EXPECT_TRUE(absl::StartsWith(base, std::string(214, 'n')));
  EXPECT_TRUE(IsDownloadTempName(base));
}

}  // namespace
}  // namespace hub
