#include "hub/hubconf/entry_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::HasSubstr;

// A lookup that worked and found nothing.
bool Miss(const absl::StatusOr<std::optional<HubconfDescription>>& r) {
  return r.ok() && !r->has_value();
}

HubconfDescription Description(const std::string& module_file) {
  HubconfDescription d;
  d.entrypoints = {"a", "b"};
  d.docs = {{"_private", std::nullopt}, {"a", "Doc of a.\n  \"quoted\"\t"}, {"b", std::nullopt}};
  d.sys_path = {"/nonexistent/torchhub/site"};
  d.module_files = {module_file};
  return d;
}

struct Fixture {
  std::string repo = TestDir("repo");
  std::string cache_dir = TestDir("cache");
  std::string module = absl::StrCat(TestDir("site"), "/mod.py");
  Fixture() {
    WriteTestFile(absl::StrCat(repo, "/hubconf.py"), "def a(): pass\n");
    WriteTestFile(module, "X = 1\n");
  }
};

TEST(EntryCacheTest, StoresAndFindsADescription) {
  Fixture f;
  EntryCache cache(f.cache_dir);
  EXPECT_TRUE(Miss(cache.Lookup(f.repo, "py")));
  ASSERT_THAT(cache.Store(f.repo, "py", Description(f.module)), IsOk());
  absl::StatusOr<std::optional<HubconfDescription>> hit = cache.Lookup(f.repo, "py");
  ASSERT_THAT(hit, IsOk());
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ((*hit)->entrypoints, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*hit)->docs, Description(f.module).docs);
  EXPECT_EQ((*hit)->module_files, (std::vector<std::string>{f.module}));
}

TEST(EntryCacheTest, ChangesToTheRepoOrTheEnvironmentMiss) {
  Fixture f;
  EntryCache cache(f.cache_dir);
  ASSERT_THAT(cache.Store(f.repo, "py", Description(f.module)), IsOk());
  // Other interpreter settings.
  EXPECT_TRUE(Miss(cache.Lookup(f.repo, "other")));
  // A file added to the repo, even one hubconf does not import.
  WriteTestFile(absl::StrCat(f.repo, "/models.py"), "");
  EXPECT_TRUE(Miss(cache.Lookup(f.repo, "py")));
  ASSERT_THAT(cache.Store(f.repo, "py", Description(f.module)), IsOk());
  EXPECT_TRUE(cache.Lookup(f.repo, "py")->has_value());
  // Bytecode caches do not count.
  WriteTestFile(absl::StrCat(f.repo, "/__pycache__/hubconf.cpython-311.pyc"), "x");
  EXPECT_TRUE(cache.Lookup(f.repo, "py")->has_value());
  // A module the import loaded, upgraded in place (same size, new mtime).
  struct timespec times[2] = {{0, UTIME_NOW}, {12345, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.module.c_str(), times, 0), 0);
  EXPECT_TRUE(Miss(cache.Lookup(f.repo, "py")));
  ASSERT_THAT(cache.Store(f.repo, "py", Description(f.module)), IsOk());
  // ... or removed.
  ASSERT_EQ(::unlink(f.module.c_str()), 0);
  EXPECT_TRUE(Miss(cache.Lookup(f.repo, "py")));
}

TEST(EntryCacheTest, ACorruptEntryIsAMissNotAnError) {
  Fixture f;
  EntryCache cache(f.cache_dir);
  absl::StatusOr<std::string> path = cache.EntryPath(f.repo, "py");
  ASSERT_THAT(path, IsOk());
  WriteTestFile(*path, "{\"format\": 1, \"repo_dir\": ");
  EXPECT_TRUE(Miss(cache.Lookup(f.repo, "py")));
  WriteTestFile(*path, "[]");
  EXPECT_TRUE(Miss(cache.Lookup(f.repo, "py")));
  ASSERT_THAT(cache.Store(f.repo, "py", Description(f.module)), IsOk());
  EXPECT_TRUE(cache.Lookup(f.repo, "py")->has_value());
}

TEST(EntryCacheTest, AnUnreadableRepoIsAnError) {
  Fixture f;
  EntryCache cache(f.cache_dir);
  ASSERT_THAT(cache.Store(f.repo, "py", Description(f.module)), IsOk());
  const std::string gone = absl::StrCat(f.repo, "/../missing_repo");
  EXPECT_THAT(RepoContentDigest(gone), StatusIs(absl::StatusCode::kNotFound));
}

TEST(EntryCacheTest, HelpAnswersAsTorchHubDoes) {
  HubconfDescription d = Description("/x");
  EXPECT_THAT(HelpFromDescription(d, "a"),
              IsOkAndHolds(::testing::Optional(std::string("Doc of a.\n  \"quoted\"\t"))));
  EXPECT_THAT(HelpFromDescription(d, "b"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(HelpFromDescription(d, "_private"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(HelpFromDescription(d, "zzz"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("RuntimeError: Cannot find callable zzz in hubconf")));
  d.help_error = "RuntimeError: Missing dependencies: q";
  EXPECT_THAT(HelpFromDescription(d, "a"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                    HasSubstr("Missing dependencies: q")));
}

TEST(EntryCacheTest, TheDigestCoversContentNotJustNames) {
  Fixture f;
  absl::StatusOr<std::string> before = RepoContentDigest(f.repo);
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(before->size(), 64u);
  WriteTestFile(absl::StrCat(f.repo, "/hubconf.py"), "def b(): pass\n");  // same size
  EXPECT_NE(*RepoContentDigest(f.repo), *before);
  WriteTestFile(absl::StrCat(f.repo, "/hubconf.py"), "def a(): pass\n");
  EXPECT_EQ(*RepoContentDigest(f.repo), *before);
  ASSERT_EQ(::chmod(absl::StrCat(f.repo, "/hubconf.py").c_str(), 0755), 0);
  EXPECT_NE(*RepoContentDigest(f.repo), *before);
}

}  // namespace
}  // namespace hub
