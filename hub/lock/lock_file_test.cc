#include "hub/lock/lock_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/archive/extract.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"
#include "hub/fs/json_record.h"
#include "tests/servers/git_cli.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::Git;
using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";
const std::string kDigest(64, 'c');
const std::string kFileSha(64, 'f');

LockFile Sample() {
  LockFile lock;
  lock.Put(LockedRepo{"acme/models:v1.0", "v1.0", kCommit, kDigest, "https://x/zipball/v1.0", ""});
  lock.Put(LockedRepo{"acme/base", "main", kCommit, kDigest, "git", "file:///srv/git/base"});
  lock.Put(LockedFile{"https://h/w-0123abcd.pth", "w-0123abcd.pth", kFileSha, 1234});
  return lock;
}

TEST(LockFileTest, RoundTripsSortedOneEntryPerLine) {
  const std::string text = SerializeLockFile(Sample());
  EXPECT_EQ(text, absl::StrCat(R"({
  "torchhub_lock": 1,
  "repos": [
    {"repo":"acme/base","ref":"main","commit":")",
                               kCommit, R"(","content_sha256":")", kDigest,
                               R"(","source":"git","git_url":"file:///srv/git/base"},
    {"repo":"acme/models:v1.0","ref":"v1.0","commit":")",
                               kCommit, R"(","content_sha256":")", kDigest,
                               R"(","source":"https://x/zipball/v1.0"}
  ],
  "files": [
    {"url":"https://h/w-0123abcd.pth","file_name":"w-0123abcd.pth","sha256":")",
                               kFileSha, R"(","bytes":1234}
  ]
}
)"));
  absl::StatusOr<LockFile> back = ParseLockFile(text, "torchhub.lock");
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(SerializeLockFile(*back), text);
  EXPECT_EQ(SerializeLockFile(LockFile()),
            "{\n  \"torchhub_lock\": 1,\n  \"repos\": [],\n  \"files\": []\n}\n");
}

TEST(LockFileTest, FindsReposHoweverTheyAreSpelledAndFilesByExactUrl) {
  const LockFile lock = Sample();
  ASSERT_NE(lock.FindRepo("acme/models:v1.0"), nullptr);
  EXPECT_EQ(lock.FindRepo("acme/models:v1.0")->ref, "v1.0");
  EXPECT_EQ(lock.FindRepo("acme/base")->ref, "main");
  EXPECT_EQ(lock.FindRepo("acme/models"), nullptr);  // another key: the default branch
  EXPECT_EQ(lock.FindRepo("acme/models:v2.0"), nullptr);
  EXPECT_EQ(lock.FindRepo("not a repo"), nullptr);
  EXPECT_NE(lock.FindFile("https://h/w-0123abcd.pth"), nullptr);
  EXPECT_EQ(lock.FindFile("https://h/w-0123abcd.pth?x=1"), nullptr);

  LockFile changed = lock;
  EXPECT_TRUE(changed.Remove("acme/base"));
  EXPECT_FALSE(changed.Remove("acme/base"));
  EXPECT_TRUE(changed.Remove("https://h/w-0123abcd.pth"));
  EXPECT_EQ(changed.repos.size(), 1u);
  EXPECT_TRUE(changed.files.empty());
  changed.Put(LockedRepo{"acme/models:v1.0", "v1.0", std::string(40, 'a'), kDigest, ""});
  ASSERT_EQ(changed.repos.size(), 1u);  // replaced, not added
  EXPECT_EQ(changed.repos[0].commit, std::string(40, 'a'));
}

TEST(LockFileTest, BadFilesSayWhatIsWrongAndWhere) {
  const std::string good = SerializeLockFile(Sample());
  auto parse = [](const std::string& text) { return ParseLockFile(text, "p/torchhub.lock"); };
  EXPECT_THAT(parse("{"), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("p/torchhub.lock is not a torchhub lock file")));
  EXPECT_THAT(parse("{}"), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("no \"torchhub_lock\" version")));
  EXPECT_THAT(parse(absl::StrReplaceAll(good, {{"\"torchhub_lock\": 1", "\"torchhub_lock\": 2"}})),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("version 2 lock file")));
  EXPECT_THAT(parse(absl::StrReplaceAll(good, {{kCommit, "abc"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("repos[0] (acme/base)"), HasSubstr("\"commit\" is \"abc\""),
                             HasSubstr("40 lowercase hex digits"))));
  EXPECT_THAT(parse(absl::StrReplaceAll(good, {{kFileSha, "F"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("files[0]"), HasSubstr("64 lowercase hex digits"))));
  EXPECT_THAT(parse(absl::StrReplaceAll(good, {{"\"ref\":\"main\",", ""}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"ref\" is missing")));
  EXPECT_THAT(parse(absl::StrReplaceAll(good, {{"acme/base", "acme/../base"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an owner/name")));
  EXPECT_THAT(parse(absl::StrReplaceAll(
                  good, {{"\"file_name\":\"w-0123abcd.pth\"", "\"file_name\":\"../w.pth\""}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a plain name")));
  EXPECT_THAT(parse(absl::StrReplaceAll(good, {{"acme/models:v1.0", "acme/base"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
  EXPECT_THAT(ReadLockFile(TestDir() + "/none.lock"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("make it with `torchhub lock")));
  // What a `torchhub lock` killed between making and writing the file leaves.
  const std::string empty = TestDir() + "/empty.lock";
  WriteTestFile(empty, "");
  EXPECT_THAT(ReadLockFile(empty),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the lock file " + empty +
                                 " is empty: a `torchhub lock` that was killed left it; run "
                                 "`torchhub lock --lock " +
                                 empty + " REPO|URL...` again")));
}

TEST(LockFileTest, WritesAtomicallyAndReadsBack) {
  const std::string path = TestDir() + "/torchhub.lock";
  ASSERT_THAT(WriteLockFile(path, Sample()), IsOk());
  absl::StatusOr<LockFile> back = ReadLockFile(path);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(SerializeLockFile(*back), SerializeLockFile(Sample()));
}

TEST(ContentDigestTest, CoversNamesAndBytesButNotModesTimesOrPycache) {
  const std::string dir = TestDir();
  WriteTestFile(dir + "/hubconf.py", "def m(): pass\n");
  WriteTestFile(dir + "/pkg/a.py", "A = 1\n");
  ASSERT_THAT(MakeDirs(dir + "/empty"), IsOk());
  absl::StatusOr<std::string> base = ContentDigest(dir);
  ASSERT_THAT(base.status(), IsOk());
  EXPECT_THAT(*base, ::testing::MatchesRegex("[0-9a-f]{64}"));

  // Python's imports, permissions and times change nothing.
  WriteTestFile(dir + "/__pycache__/hubconf.cpython-311.pyc", "bytecode");
  WriteTestFile(dir + "/pkg/__pycache__/a.cpython-311.pyc", "bytecode");
  ASSERT_EQ(::chmod((dir + "/hubconf.py").c_str(), 0755), 0);
  EXPECT_THAT(ContentDigest(dir), IsOkAndHolds(*base));

  // A byte, a name, an empty directory: each changes it.
  WriteTestFile(dir + "/pkg/a.py", "A = 2\n");
  EXPECT_THAT(ContentDigest(dir), IsOkAndHolds(Not(*base)));
  WriteTestFile(dir + "/pkg/a.py", "A = 1\n");
  EXPECT_THAT(ContentDigest(dir), IsOkAndHolds(*base));
  ASSERT_EQ(::rename((dir + "/pkg/a.py").c_str(), (dir + "/pkg/b.py").c_str()), 0);
  EXPECT_THAT(ContentDigest(dir), IsOkAndHolds(Not(*base)));
  ASSERT_EQ(::rename((dir + "/pkg/b.py").c_str(), (dir + "/pkg/a.py").c_str()), 0);
  ASSERT_EQ(::rmdir((dir + "/empty").c_str()), 0);
  EXPECT_THAT(ContentDigest(dir), IsOkAndHolds(Not(*base)));

  EXPECT_THAT(ContentDigest(dir + "/missing"), StatusIs(absl::StatusCode::kNotFound));
}

// A zipball extracted by Python's torch.hub (zipfile: no modes, links as
// files holding their target) and by us (modes and links kept) digests the
// same.
TEST(ContentDigestTest, PythonsExtractionAndOursAgree) {
  const std::string work = TestDir("repo");
  WriteTestFile(work + "/hubconf.py", "dependencies = []\n");
  WriteTestFile(work + "/run.sh", "#!/bin/sh\n");
  ASSERT_EQ(::chmod((work + "/run.sh").c_str(), 0755), 0);
  WriteTestFile(work + "/models/net.py", "class Net: pass\n");
  ASSERT_EQ(::symlink("models/net.py", (work + "/net.py").c_str()), 0);
  Git(work, {"init", "-q"});
  Git(work, {"add", "."});
  Git(work, {"commit", "-q", "-m", "x"});
  const std::string zip = TestDir("zip") + "/repo.zip";
  Git(work, {"archive", "--format=zip", "--prefix=top/", "-o", zip, "HEAD"});

  const std::string ours = TestDir("ours");
  ASSERT_THAT(ExtractArchive(zip, ours + "/x").status(), IsOk());
  const std::string python = TestDir("python");
  absl::StatusOr<::hub::testing::CommandResult> r = ::hub::testing::RunCommand(
      {"/usr/bin/python3", "-c",
       "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zip, python});
  ASSERT_THAT(r.status(), IsOk());
  ASSERT_EQ(r->exit_code, 0) << r->output;

  absl::StatusOr<std::string> a = ContentDigest(ours + "/x/top");
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_THAT(ContentDigest(python + "/top"), IsOkAndHolds(*a));
  // The two trees really differ in the way the digest ignores.
  struct stat st {};
  ASSERT_EQ(::lstat((python + "/top/net.py").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_EQ(::lstat((ours + "/x/top/net.py").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST(VerifiedContentDigestTest, ReusedOnlyWhileTheTreeIsUnchanged) {
  const std::string hub = TestDir("hub");
  const std::string dir = hub + "/acme_models_v1";
  const std::string record = hub + "/.acme_models_v1.source";
  const std::string lock = hub + "/.acme_models_v1.lock";
  WriteTestFile(dir + "/hubconf.py", "def m(): pass\n");
  WriteTestFile(dir + "/pkg/a.py", "A = 1\n");
  WriteTestFile(record, R"({"repo":"acme/models:v1","commit":"abc"})");
  absl::StatusOr<std::string> real = ContentDigest(dir);
  ASSERT_THAT(real.status(), IsOk());
  EXPECT_THAT(VerifiedContentDigest(dir, record, lock), IsOkAndHolds(*real));
  // Taken within a second of the last change: not trusted yet, so even a
  // lying record is not believed.
  const std::string lie(64, '0');
  WriteTestFile(record, absl::StrReplaceAll(ReadTestFile(record), {{*real, lie}}));
  EXPECT_THAT(VerifiedContentDigest(dir, record, lock), IsOkAndHolds(*real));
  // Once the tree has settled (a clock two seconds on, instead of a sleep),
  // a fresh digest is.
  ::hub::SetDigestClockForTesting([] { return absl::Now() + absl::Seconds(2); });
  EXPECT_THAT(VerifiedContentDigest(dir, record, lock), IsOkAndHolds(*real));
  ::hub::SetDigestClockForTesting(nullptr);
  const std::string text = ReadTestFile(record);
  EXPECT_THAT(text, HasSubstr(R"("commit":"abc")"));  // the fetch's record is kept
  // A reused digest is not recomputed: make the record lie to see it.
  WriteTestFile(record, absl::StrReplaceAll(text, {{*real, lie}}));
  EXPECT_THAT(VerifiedContentDigest(dir, record, lock), IsOkAndHolds(lie));
  // Any change to the tree (a file's bytes, a new file) is hashed again.
  WriteTestFile(dir + "/pkg/a.py", "A = 2\n");
  absl::StatusOr<std::string> changed = ContentDigest(dir);
  ASSERT_THAT(changed.status(), IsOk());
  EXPECT_THAT(VerifiedContentDigest(dir, record, lock), IsOkAndHolds(*changed));
  // While a fetch holds the repo's lock, the record is left alone.
  absl::StatusOr<FileLock> fetching = FileLock::Acquire(lock);
  ASSERT_THAT(fetching.status(), IsOk());
  const std::string before = ReadTestFile(record);
  WriteTestFile(dir + "/new.py", "");
  absl::StatusOr<std::string> with_new = ContentDigest(dir);
  ASSERT_THAT(with_new.status(), IsOk());
  EXPECT_NE(*with_new, *changed);
  EXPECT_THAT(VerifiedContentDigest(dir, record, lock), IsOkAndHolds(*with_new));
  EXPECT_EQ(ReadTestFile(record), before);
}

}  // namespace
}  // namespace hub
