#include "hub/archive/extract.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/run_as_unprivileged.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Writes an archive from a JSON list of entries:
//   {"name": ..., "type": "file|dir|symlink|hardlink|fifo", "data": ...,
//    "mode": ..., "target": ...}
// argv: FORMAT (zip|tgz|many) OUT SPEC_OR_COUNT.
constexpr char kMakeArchive[] = R"py(
import io, json, sys, tarfile, warnings, zipfile
warnings.simplefilter('ignore')
fmt, out, arg = sys.argv[1:4]
if fmt == 'many':
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
        for i in range(int(arg)):
            z.writestr('d/f%d' % i, b'')
elif fmt == 'zip':
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
        for e in json.loads(arg):
            info = zipfile.ZipInfo(e['name'], date_time=(2020, 1, 2, 3, 4, 6))
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            kind, mode = e.get('type', 'file'), e.get('mode', 0o644)
            if kind == 'dir':
                info.external_attr = ((0o040000 | mode) << 16) | 0x10
                data = b''
            elif kind == 'symlink':
                info.external_attr = 0o120777 << 16
                data = e['target'].encode()
            else:
                info.external_attr = (0o100000 | mode) << 16
                data = e.get('data', '').encode()
            z.writestr(info, data)
else:
    with tarfile.open(out, 'w:gz', format=tarfile.GNU_FORMAT) as t:
        for e in json.loads(arg):
            info = tarfile.TarInfo(e['name'])
            info.mtime = 1577934246
            kind, info.mode = e.get('type', 'file'), e.get('mode', 0o644)
            data = e.get('data', '').encode()
            info.type = {'file': tarfile.REGTYPE, 'dir': tarfile.DIRTYPE,
                         'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE,
                         'fifo': tarfile.FIFOTYPE}[kind]
            info.linkname = e.get('target', '')
            if kind == 'file':
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
)py";

std::string MakeArchive(const std::string& format, const std::string& path,
                        const std::string& arg) {
  absl::StatusOr<::hub::testing::CommandResult> r =
      ::hub::testing::RunCommand({"/usr/bin/python3", "-c", kMakeArchive, format, path, arg});
  EXPECT_TRUE(r.ok()) << r.status();
  if (r.ok()) {
    EXPECT_EQ(r->exit_code, 0) << r->output;
  }
  return path;
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

mode_t Mode(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

constexpr char kGitHubLike[] = R"([
  {"name": "owner-repo-abc1234/", "type": "dir", "mode": 493},
  {"name": "owner-repo-abc1234/hubconf.py", "data": "dependencies = ['torch']\n"},
  {"name": "owner-repo-abc1234/models/", "type": "dir", "mode": 493},
  {"name": "owner-repo-abc1234/models/deep/net.py", "data": "class Net: pass\n"},
  {"name": "owner-repo-abc1234/empty/", "type": "dir", "mode": 493},
  {"name": "owner-repo-abc1234/readonly/", "type": "dir", "mode": 365},
  {"name": "owner-repo-abc1234/run.sh", "data": "#!/bin/sh\n", "mode": 493},
  {"name": "owner-repo-abc1234/setuid", "data": "x", "mode": 3565},
  {"name": "owner-repo-abc1234/link", "type": "symlink", "target": "models/deep/net.py"}
])";

void ExpectGitHubLike(const std::string& root) {
  const std::string repo = root + "/owner-repo-abc1234";
  EXPECT_EQ(ReadTestFile(repo + "/hubconf.py"), "dependencies = ['torch']\n");
  EXPECT_EQ(ReadTestFile(repo + "/models/deep/net.py"), "class Net: pass\n");
  EXPECT_THAT(List(repo + "/empty"), ElementsAre());
  EXPECT_EQ(Mode(repo + "/hubconf.py"), S_IFREG | 0644);
  EXPECT_EQ(Mode(repo + "/run.sh"), S_IFREG | 0755);
  EXPECT_EQ(Mode(repo + "/setuid"), S_IFREG | 0755);  // 06755 less setuid/setgid
  EXPECT_EQ(Mode(repo + "/empty"), S_IFDIR | 0755);
  EXPECT_EQ(Mode(repo + "/readonly"), S_IFDIR | 0755);  // 0555 made owner-writable
  EXPECT_EQ(Mode(repo + "/link"), S_IFLNK | 0777);
  EXPECT_EQ(std::filesystem::read_symlink(repo + "/link").string(), "models/deep/net.py");
  EXPECT_EQ(ReadTestFile(repo + "/link"), "class Net: pass\n");
}

constexpr int64_t kGitHubLikeBytes = 25 + 16 + 10 + 1;

TEST(ExtractArchiveTest, GitHubLikeZip) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string zip = MakeArchive("zip", dir + "/x.zip", kGitHubLike);
  absl::StatusOr<ExtractResult> r = ExtractArchive(zip, dir + "/dest");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->top_dir, "owner-repo-abc1234");
  EXPECT_EQ(r->entries, 9);
  EXPECT_EQ(r->bytes, kGitHubLikeBytes);
  ExpectGitHubLike(dir + "/dest");
  EXPECT_THAT(List(dir), ElementsAre("dest", "x.zip"));  // no temporary left
}

TEST(ExtractArchiveTest, GitHubLikeTarGzWithHardLinkAndTimes) {
  const std::string dir = ::hub::testing::TestDir();
  std::string spec = kGitHubLike;
  spec.pop_back();  // ']'
  spec += R"(, {"name": "owner-repo-abc1234/hard", "type": "hardlink",
               "target": "owner-repo-abc1234/hubconf.py"}])";
  const std::string tgz = MakeArchive("tgz", dir + "/x.tar.gz", spec);
  absl::StatusOr<ExtractResult> r = ExtractArchive(tgz, dir + "/dest/");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->top_dir, "owner-repo-abc1234");
  EXPECT_EQ(r->entries, 10);
  EXPECT_EQ(r->bytes, kGitHubLikeBytes);
  ExpectGitHubLike(dir + "/dest");
  const std::string repo = dir + "/dest/owner-repo-abc1234";
  struct stat a = {}, b = {};
  ASSERT_EQ(stat((repo + "/hubconf.py").c_str(), &a), 0);
  ASSERT_EQ(stat((repo + "/hard").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_mtime, 1577934246);
  ASSERT_EQ(stat((repo + "/empty").c_str(), &b), 0);
  EXPECT_EQ(b.st_mtime, 1577934246);  // directory times are restored last
  EXPECT_THAT(List(dir), ElementsAre("dest", "x.tar.gz"));
}

TEST(ExtractArchiveTest, TopDirIsEmptyWithSeveralOrNone) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string two =
      MakeArchive("zip", dir + "/two.zip", R"([{"name": "a/x", "data": "1"}, {"name": "b/y"}])");
  absl::StatusOr<ExtractResult> r = ExtractArchive(two, dir + "/two");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->top_dir, "");
  EXPECT_EQ(ReadTestFile(dir + "/two/a/x"), "1");  // directories made as needed
  const std::string file = MakeArchive("zip", dir + "/file.zip", R"([{"name": "README"}])");
  r = ExtractArchive(file, dir + "/file");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->top_dir, "");
  const std::string empty = MakeArchive("zip", dir + "/empty.zip", "[]");
  r = ExtractArchive(empty, dir + "/empty");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->top_dir, "");
  EXPECT_EQ(r->entries, 0);
  EXPECT_THAT(List(dir + "/empty"), ElementsAre());
}

TEST(ExtractArchiveTest, DotSlashNamesAndRootEntry) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string tgz = MakeArchive("tgz", dir + "/x.tgz", R"([
    {"name": "./", "type": "dir"}, {"name": "./top/", "type": "dir"},
    {"name": "./top//./f", "data": "f"}])");
  absl::StatusOr<ExtractResult> r = ExtractArchive(tgz, dir + "/dest");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->top_dir, "top");
  EXPECT_EQ(r->entries, 3);
  EXPECT_EQ(ReadTestFile(dir + "/dest/top/f"), "f");
}

TEST(ExtractArchiveTest, DestinationThatExistsIsLeftAlone) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string zip = MakeArchive("zip", dir + "/x.zip", kGitHubLike);
  ASSERT_EQ(mkdir((dir + "/dest").c_str(), 0755), 0);
  std::ofstream(dir + "/dest/mine") << "keep";
  EXPECT_THAT(ExtractArchive(zip, dir + "/dest"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already exists")));
  EXPECT_THAT(List(dir + "/dest"), ElementsAre("mine"));
  EXPECT_EQ(ReadTestFile(dir + "/dest/mine"), "keep");
  EXPECT_THAT(List(dir), ElementsAre("dest", "x.zip"));
  // An empty directory is not replaced either.
  ASSERT_EQ(mkdir((dir + "/empty").c_str(), 0755), 0);
  EXPECT_THAT(ExtractArchive(zip, dir + "/empty"), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(List(dir + "/empty"), ElementsAre());
}

TEST(ExtractArchiveTest, MissingArchiveOrParent) {
  const std::string dir = ::hub::testing::TestDir();
  EXPECT_THAT(ExtractArchive(dir + "/none.zip", dir + "/dest"),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string zip = MakeArchive("zip", dir + "/x.zip", kGitHubLike);
  EXPECT_THAT(ExtractArchive(zip, dir + "/no/dest"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ExtractArchive(zip, dir + "/.."), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(List(dir), ElementsAre("x.zip"));
}

// An archive that must be refused: nothing may be left beside it.
struct Hostile {
  std::string test_name;
  std::string format;  // zip or tgz
  std::string spec;
  std::string reason;  // part of the message
};

class HostileTest : public ::testing::TestWithParam<Hostile> {};

TEST_P(HostileTest, IsRefusedAndLeavesNothing) {
  const Hostile& h = GetParam();
  const std::string dir = ::hub::testing::TestDir("work");
  const std::string archive = MakeArchive(h.format, dir + "/x." + h.format, h.spec);
  EXPECT_THAT(ExtractArchive(archive, dir + "/dest"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("refusing to extract \"" + archive + "\": entry"),
                             HasSubstr(h.reason))));
  // Nothing beside the archive: no dest, no "*.extracting", nothing escaped.
  EXPECT_THAT(List(dir), ElementsAre("x." + h.format));
  EXPECT_THAT(List(dir + "/.."), ElementsAre("work"));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HostileTest,
    ::testing::Values(
        Hostile{"ZipDotDot", "zip", R"([{"name": "a.txt"}, {"name": "../evil.txt"}])",
                "entry \"../evil.txt\" would be written outside the destination"},
        Hostile{"TarDotDot", "tgz", R"([{"name": "../evil.txt", "data": "x"}])", "outside"},
        Hostile{"ZipAbsolute", "zip", R"([{"name": "/abs/path"}])",
                "\"/abs/path\" has an absolute path"},
        Hostile{"TarAbsolute", "tgz", R"([{"name": "/abs/path"}])", "absolute"},
        Hostile{"ZipInnerDotDot", "zip", R"([{"name": "a/../../b"}])", "outside"},
        Hostile{"ZipInnerDotDotThatStaysInside", "zip", R"([{"name": "a/../b"}])", "outside"},
        // libarchive's zip reader reads '\' as a separator; tar keeps it.
        Hostile{"ZipBackslash", "zip", R"([{"name": "..\\evil"}])",
                "entry \"../evil\" would be written outside"},
        Hostile{"TarBackslashDotDot", "tgz", R"([{"name": "..\\evil"}])", "backslash"},
        Hostile{"TarBackslash", "tgz", R"([{"name": "a\\b"}])",
                "contains a backslash, which Windows tools read as a path separator"},
        Hostile{"ZipSymlinkOut", "zip",
                R"([{"name": "d/link", "type": "symlink", "target": "../../etc/passwd"}])",
                "resolves outside"},
        Hostile{"TarSymlinkOut", "tgz",
                R"([{"name": "link", "type": "symlink", "target": "../../etc/passwd"}])",
                "resolves outside"},
        Hostile{"TarSymlinkAbsolute", "tgz",
                R"([{"name": "link", "type": "symlink", "target": "/etc"}])",
                "symbolic link to an absolute path"},
        Hostile{"TarSymlinkChain", "tgz", R"([
                  {"name": "sub/", "type": "dir"},
                  {"name": "a", "type": "symlink", "target": "sub"},
                  {"name": "sub/b", "type": "symlink", "target": "../../x"}])",
                "resolves outside"},
        // "m" -> "d/l/..": lexically "d", but d/l is "..", so it is the
        // destination's parent.
        Hostile{"TarSymlinkThroughSymlink", "tgz", R"([
                  {"name": "d/", "type": "dir"},
                  {"name": "d/l", "type": "symlink", "target": ".."},
                  {"name": "m", "type": "symlink", "target": "d/l/.."}])",
                "entry \"m\" is a symbolic link to \"d/l/..\", which resolves outside"},
        Hostile{"TarSymlinkLoop", "tgz", R"([
                  {"name": "a", "type": "symlink", "target": "b"},
                  {"name": "b", "type": "symlink", "target": "a/x"}])",
                "loop"},
        Hostile{"TarWriteThroughSymlink", "tgz", R"([
                  {"name": "sub/", "type": "dir"},
                  {"name": "link", "type": "symlink", "target": "sub"},
                  {"name": "link/f", "data": "x"}])",
                "under \"link\", which is not a directory"},
        Hostile{"TarHardlinkOut", "tgz",
                R"([{"name": "h", "type": "hardlink", "target": "../outside"}])",
                "hard link to \"../outside\""},
        Hostile{"TarHardlinkAbsolute", "tgz",
                R"([{"name": "h", "type": "hardlink", "target": "/etc/passwd"}])", "absolute"},
        Hostile{"TarHardlinkToNothing", "tgz",
                R"([{"name": "h", "type": "hardlink", "target": "later"}, {"name": "later"}])",
                "not an earlier file"},
        Hostile{"TarFifo", "tgz", R"([{"name": "f", "type": "fifo"}])", "FIFO"},
        Hostile{"ZipDuplicate", "zip", R"([{"name": "a", "data": "1"}, {"name": "a"}])",
                "more than once"}),
    [](const ::testing::TestParamInfo<Hostile>& p) { return p.param.test_name; });

TEST(ExtractArchiveTest, WholeArchiveIsCheckedBeforeWriting) {
  const std::string dir = ::hub::testing::TestDir();
  std::vector<std::string> entries;
  entries.reserve(51);
  for (int i = 0; i < 50; ++i) {
    entries.push_back(absl::StrCat(R"({"name": "top/f)", i, R"(", "data": "data"})"));
  }
  entries.emplace_back(R"({"name": "../evil"})");
  const std::string spec = "[" + absl::StrJoin(entries, ",") + "]";
  for (const std::string format : {"zip", "tgz"}) {
    const std::string archive = MakeArchive(format, absl::StrCat(dir, "/x.", format), spec);
    EXPECT_THAT(ExtractArchive(archive, dir + "/dest"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"../evil\"")));
    EXPECT_THAT(List(dir), ElementsAre("x." + format));
    std::filesystem::remove(archive);
  }
}

TEST(ExtractArchiveTest, SymlinksCanBeRefused) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string zip = MakeArchive("zip", dir + "/x.zip", kGitHubLike);
  EXPECT_THAT(ExtractArchive(zip, dir + "/dest", {.allow_symlinks = false}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"owner-repo-abc1234/link\" is a symbolic link")));
  EXPECT_THAT(List(dir), ElementsAre("x.zip"));
}

TEST(ExtractArchiveTest, EntryLimit) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string zip = MakeArchive("many", dir + "/x.zip", "1001");
  EXPECT_THAT(ExtractArchive(zip, dir + "/dest", {.max_entries = 1000}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"d/f1000\" is past the limit of 1000 entries")));
  EXPECT_THAT(List(dir), ElementsAre("x.zip"));
  absl::StatusOr<ExtractResult> r = ExtractArchive(zip, dir + "/dest", {.max_entries = 1001});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->entries, 1001);
  EXPECT_EQ(r->top_dir, "d");
}

TEST(ExtractArchiveTest, DefaultEntryLimitIsCheckedBeforeWriting) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string zip = MakeArchive("many", dir + "/x.zip", "100001");
  const std::string small = MakeArchive("zip", dir + "/small.zip", kGitHubLike);
  // Extracted into a directory where nothing may be written: an extraction
  // that wrote anything (even its temporary directory) before counting the
  // entries would fail with kPermissionDenied instead.
  const std::string read_only = ::hub::testing::TestDir("read_only");
  ASSERT_EQ(chmod(read_only.c_str(), 0555), 0);
  const absl::Status unprivileged = ::hub::testing::RunAsUnprivileged([&] {
    EXPECT_THAT(ExtractArchive(zip, read_only + "/dest"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("100000 entries")));
    // The same directory does refuse an archive that passes the checks.
    EXPECT_THAT(ExtractArchive(small, read_only + "/dest"),
                StatusIs(absl::StatusCode::kPermissionDenied));
  });
  EXPECT_TRUE(unprivileged.ok()) << unprivileged;
  ASSERT_EQ(chmod(read_only.c_str(), 0755), 0);
  EXPECT_THAT(ExtractArchive(zip, dir + "/dest"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("100000 entries")));
  EXPECT_THAT(List(dir), ElementsAre("small.zip", "x.zip"));
}

TEST(ExtractArchiveTest, ByteLimit) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string data(600, 'x');
  const std::string spec = absl::StrCat(R"([{"name": "a", "data": ")", data,
                                        R"("}, {"name": "b", "data": ")", data, R"("}])");
  for (const std::string format : {"zip", "tgz"}) {
    const std::string archive = MakeArchive(format, absl::StrCat(dir, "/x.", format), spec);
    EXPECT_THAT(ExtractArchive(archive, dir + "/dest", {.max_total_bytes = 1000}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("\"b\" takes the archive past the limit of 1000 bytes")));
    EXPECT_THAT(List(dir), ElementsAre("x." + format));
    absl::StatusOr<ExtractResult> r =
        ExtractArchive(archive, dir + "/dest", {.max_total_bytes = 1200});
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->bytes, 1200);
    std::filesystem::remove_all(dir + "/dest");
    std::filesystem::remove(archive);
  }
}

TEST(ExtractArchiveTest, TruncatedAndGarbageArchives) {
  const std::string dir = ::hub::testing::TestDir();
  std::string data;
  for (int i = 0; i < 2000; ++i) absl::StrAppend(&data, i, " ");
  const std::string spec = absl::StrCat(R"([{"name": "top/a", "data": ")", data,
                                        R"("}, {"name": "top/b", "data": ")", data, R"("}])");
  for (const std::string format : {"zip", "tgz"}) {
    const std::string archive = MakeArchive(format, absl::StrCat(dir, "/x.", format), spec);
    const std::string whole = ReadTestFile(archive);
    std::ofstream(archive, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() / 2);
    EXPECT_THAT(ExtractArchive(archive, dir + "/dest"), StatusIs(absl::StatusCode::kDataLoss))
        << format;
    EXPECT_THAT(List(dir), ElementsAre("x." + format));
    std::filesystem::remove(archive);
  }
  std::string garbage;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245 + 12345;
    garbage.push_back(static_cast<char>(x >> 24));
  }
  std::ofstream(dir + "/garbage", std::ios::binary) << garbage;
  EXPECT_THAT(ExtractArchive(dir + "/garbage", dir + "/dest"),
              StatusIs(absl::StatusCode::kDataLoss));
  std::ofstream(dir + "/empty", std::ios::binary) << "";
  EXPECT_THAT(ExtractArchive(dir + "/empty", dir + "/dest"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(List(dir), UnorderedElementsAre("garbage", "empty"));
}

TEST(ZipCommentTest, ReadsTheCommentGitAndGitHubWrite) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string sha = "0123456789abcdef0123456789abcdef01234567";
  absl::StatusOr<::hub::testing::CommandResult> r = ::hub::testing::RunCommand(
      {"/usr/bin/python3", "-c",
       "import sys, zipfile\n"
       "for path, comment in ((sys.argv[1], sys.argv[3].encode()), (sys.argv[2], b'')):\n"
       "    with zipfile.ZipFile(path, 'w') as z:\n"
       "        z.writestr('top/hubconf.py', 'x = 1\\n' * 5000)\n"
       "        z.comment = comment\n",
       dir + "/with.zip", dir + "/without.zip", sha});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->output;
  EXPECT_THAT(ZipComment(dir + "/with.zip"), IsOkAndHolds(sha));
  EXPECT_THAT(ZipComment(dir + "/without.zip"), IsOkAndHolds(""));
}

TEST(ZipCommentTest, RefusesWhatIsNotAZip) {
  const std::string dir = ::hub::testing::TestDir();
  const std::string tgz = MakeArchive("tgz", dir + "/x.tgz", kGitHubLike);
  EXPECT_THAT(ZipComment(tgz),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not a zip archive")));
  ::hub::testing::WriteTestFile(dir + "/tiny", "PK");
  EXPECT_THAT(ZipComment(dir + "/tiny"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ZipComment(dir + "/missing.zip"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
TEST(ExtractArchiveTest, EscapesAreNamedInTorchHubsWords) {
  const std::string dir = ::hub::testing::TestDir("upstream_words");
  const std::string traversal =
      MakeArchive("zip", dir + "/t.zip", R"([{"name": "../evil", "data": "x"}])");
  EXPECT_THAT(ExtractArchive(traversal, dir + "/d1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Archive entry contains directory traversal: ../evil (")));
  const std::string absolute =
      MakeArchive("tgz", dir + "/a.tgz", R"([{"name": "/abs/x", "data": "x"}])");
  EXPECT_THAT(ExtractArchive(absolute, dir + "/d2"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Archive entry has absolute path: /abs/x (")));
  const std::string link = MakeArchive(
      "tgz", dir + "/l.tgz", R"([{"name": "up", "type": "symlink", "target": "../../etc"}])");
  EXPECT_THAT(ExtractArchive(link, dir + "/d3"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Archive entry escapes target directory: up (")));
}

}  // namespace hub
