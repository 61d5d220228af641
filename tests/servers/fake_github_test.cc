#include "tests/servers/fake_github.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/test_dirs.h"
#include "hub/fs/files.h"
#include "tests/servers/git_cli.h"

namespace hub::testing {
namespace {

using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(FakeGithubTest, EndpointsPutTheApiUnderTheServer) {
  const GithubEndpoints endpoints = FakeGithub::Endpoints("http://127.0.0.1:8");
  EXPECT_EQ(endpoints.web, "http://127.0.0.1:8");
  EXPECT_EQ(endpoints.api, "http://127.0.0.1:8/api");
}

TEST(FakeGithubTest, PublishesWhereGithubServesIt) {
  const std::string work = TestDir("work"), root = TestDir("root");
  WriteTestFile(work + "/hubconf.py", "dependencies = []\n");
  Git(work, {"init", "-q", "-b", "main"});
  Git(work, {"add", "."});
  Git(work, {"commit", "-q", "-m", "one"});
  const std::string sha = Git(work, {"rev-parse", "HEAD"});

  FakeGithub github(root);
  EXPECT_EQ(github.root(), root);
  EXPECT_EQ(github.PublishArchive(work, "acme/models", "main"), root + "/acme/models/zipball/main");
  const std::string zip = ReadTestFile(root + "/acme/models/zipball/main");
  EXPECT_THAT(zip, StartsWith("PK"));
  EXPECT_THAT(zip, HasSubstr(absl::StrCat("acme-models-", sha.substr(0, 7), "/hubconf.py")));
  EXPECT_THAT(zip, EndsWith(sha));  // the zip comment
  EXPECT_EQ(github.PublishArchive(work, "acme/models", "HEAD", "v1"),
            root + "/acme/models/zipball/v1");
  EXPECT_TRUE(PathExists(root + "/acme/models/zipball/v1"));

  std::vector<FakeGithub::Head> branches;
  branches.reserve(101);
  for (int i = 0; i < 101; ++i) branches.emplace_back(absl::StrCat("b", i), sha);
  github.PublishBranches("acme/models", branches);
  const std::string api = root + "/api/repos/acme/models/";
  EXPECT_THAT(ReadTestFile(api + "branches?per_page=100&page=1"),
              AllOf(StartsWith(absl::StrCat(R"([{"name":"b0","commit":{"sha":")", sha, R"(")")),
                    HasSubstr(R"("name":"b99")"), ::testing::Not(HasSubstr(R"("name":"b100")"))));
  EXPECT_THAT(ReadTestFile(api + "branches?per_page=100&page=2"), HasSubstr(R"("name":"b100")"));
  EXPECT_EQ(ReadTestFile(api + "branches?per_page=100&page=3"), "[]");
  github.PublishTags("acme/models", {});
  EXPECT_EQ(ReadTestFile(api + "tags?per_page=100&page=1"), "[]");

  github.PublishComparison("acme/models", "a1", "b2", "ahead");
  EXPECT_EQ(ReadTestFile(api + "compare/a1...b2?per_page=1"), R"({"status":"ahead"})");
  github.PublishMainBranchProbe("acme/models");
  EXPECT_TRUE(PathExists(root + "/acme/models/tree/main/index.html"));
}

}  // namespace
}  // namespace hub::testing
