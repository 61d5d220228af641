#include "hub/checkpoint/cached_file.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/fs/files.h"
#include "hub/fs/json_record.h"
#include "hub/hash/sha256.h"
#include "tests/servers/fault_server.h"

namespace hub::checkpoint {
namespace {

using ::hub::testing::FaultServer;
using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::ListDir;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kWeights[] = "weights of a small model, served by a loopback server\n";

std::string Sha256Of(const std::string& path) {
  absl::StatusOr<std::string> sha = Sha256FileHex(path);
  EXPECT_THAT(sha.status(), IsOk());
  return sha.value_or("");
}

class CachedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TestDir("root");
    WriteTestFile(root_ + "/w.pth", kWeights);
    sha_ = Sha256Of(root_ + "/w.pth");
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    model_dir_ = TestDir("checkpoints");
    options_.model_dir = model_dir_;
    options_.progress = false;
    options_.err = &err_;
    options_.download.max_attempts = 1;
  }

  size_t Gets() {
    absl::StatusOr<std::vector<FaultServer::Request>> log = server_->ReadLog();
    EXPECT_THAT(log.status(), IsOk());
    return log.ok() ? log->size() : 0;
  }

  // The names in the model dir other than the downloader's lock files.
  std::vector<std::string> Installed() {
    std::vector<std::string> names;
    for (std::string& n : ListDir(model_dir_)) {
      if (n.size() < 5 || n.substr(n.size() - 5) != ".lock") names.push_back(std::move(n));
    }
    return names;
  }

  std::string root_, sha_, model_dir_;
  std::unique_ptr<FaultServer> server_;
  std::ostringstream err_;
  CachedFileOptions options_;
};

TEST_F(CachedFileTest, APinnedDownloadIsCheckedAndRecordedAsVerified) {
  options_.expected_sha256 = sha_;
  absl::StatusOr<CachedFile> f = FetchCachedFile(server_->Url("/w.pth"), options_);
  ASSERT_THAT(f.status(), IsOk());
  EXPECT_TRUE(f->downloaded);
  EXPECT_EQ(f->sha256, sha_);
  EXPECT_EQ(f->bytes, sizeof(kWeights) - 1);
  EXPECT_EQ(ReadTestFile(f->path), kWeights);
  absl::StatusOr<JsonValue> record = ParseJson(ReadTestFile(model_dir_ + "/.w.pth.source"));
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_EQ(record->GetString({"sha256"}), sha_);

  // From the cache: checked, with no request.
  absl::StatusOr<CachedFile> again = FetchCachedFile(server_->Url("/w.pth"), options_);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_FALSE(again->downloaded);
  EXPECT_EQ(again->sha256, sha_);
  EXPECT_EQ(Gets(), 1u);
}

TEST_F(CachedFileTest, ADownloadThatIsNotThePinnedFileIsNeverInstalled) {
  options_.expected_sha256 = std::string(64, 'a');
  EXPECT_THAT(FetchCachedFile(server_->Url("/w.pth"), options_),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Installed(), ElementsAre());
}

TEST_F(CachedFileTest, AMalformedPinIsRefusedBeforeAnyRequest) {
  for (const std::string& bad : {std::string("abc"), std::string(64, 'A'), std::string(65, 'a'),
                                 absl::StrCat(std::string(63, 'a'), "g")}) {
    options_.expected_sha256 = bad;
    EXPECT_THAT(FetchCachedFile(server_->Url("/w.pth"), options_),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64 lowercase hex")));
  }
  EXPECT_EQ(Gets(), 0u);
}

TEST_F(CachedFileTest, AChangedCachedFileFailsItsPinAndIsLeftForTheUser) {
  options_.expected_sha256 = sha_;
  ASSERT_THAT(FetchCachedFile(server_->Url("/w.pth"), options_).status(), IsOk());
  // Same size, other bytes: only a fresh hash can tell.
  std::string changed = kWeights;
  changed[0] = 'W';
  WriteTestFile(model_dir_ + "/w.pth", changed);
  EXPECT_THAT(
      FetchCachedFile(server_->Url("/w.pth"), options_),
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr(sha_), HasSubstr("not the pinned"), HasSubstr("Delete it"))));
  EXPECT_EQ(ReadTestFile(model_dir_ + "/w.pth"), changed);
  EXPECT_EQ(Gets(), 1u);
}

TEST_F(CachedFileTest, AFileWithoutARecordIsHashedOnceForItsPin) {
  // As Python's torch.hub leaves it: the file, no record.
  WriteTestFile(model_dir_ + "/w.pth", kWeights);
  options_.expected_sha256 = sha_;
  absl::StatusOr<CachedFile> f = FetchCachedFile(server_->Url("/w.pth"), options_);
  ASSERT_THAT(f.status(), IsOk());
  EXPECT_FALSE(f->downloaded);
  EXPECT_EQ(f->sha256, sha_);
  EXPECT_EQ(Gets(), 0u);
  absl::StatusOr<JsonValue> record = ParseJson(ReadTestFile(model_dir_ + "/.w.pth.source"));
  ASSERT_THAT(record.status(), IsOk());
  EXPECT_EQ(record->GetString({"verified", "sha256"}), sha_);
  // No URL is made up for it: the collision check still accepts any.
  EXPECT_EQ(record->GetString({"url"}), std::nullopt);
}

TEST(VerifiedSha256Test, ReusesADigestOfTheSameFileVersionOnly) {
  const std::string dir = TestDir();
  const std::string path = dir + "/f.bin";
  const std::string record = dir + "/.f.bin.source";
  WriteTestFile(path, "version 1");
  const std::string v1 = Sha256Of(path);
  EXPECT_THAT(VerifiedSha256(path, record), IsOkAndHolds(v1));
  // Hashed within a second of its last change: the digest isn't trusted yet
  // (a write in the same tick would keep the stat), so even a lying record
  // is not believed.
  const std::string lie = std::string(64, '0');
  WriteTestFile(record, absl::StrReplaceAll(ReadTestFile(record), {{v1, lie}}));
  EXPECT_THAT(VerifiedSha256(path, record), IsOkAndHolds(v1));
  // Once the file has settled (a clock two seconds on, instead of a sleep),
  // a fresh digest is.
  ::hub::SetDigestClockForTesting([] { return absl::Now() + absl::Seconds(2); });
  EXPECT_THAT(VerifiedSha256(path, record), IsOkAndHolds(v1));
  ::hub::SetDigestClockForTesting(nullptr);
  // A digest recorded for this exact inode, size, mtime and ctime is used
  // without reading the file: make the record lie to see it.
  WriteTestFile(record, absl::StrReplaceAll(ReadTestFile(record), {{v1, lie}}));
  EXPECT_THAT(VerifiedSha256(path, record), IsOkAndHolds(lie));
  // Any write makes a new version, which is hashed again.
  WriteTestFile(path, "version 2");
  const std::string v2 = Sha256Of(path);
  EXPECT_THAT(VerifiedSha256(path, record), IsOkAndHolds(v2));
  EXPECT_THAT(VerifiedSha256(dir + "/missing", record), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace hub::checkpoint
