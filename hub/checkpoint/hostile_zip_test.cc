// Zips made to mislead: a legacy zipped checkpoint whose names try to leave
// the directory it is extracted to, and torch.save zips whose records alias
// one another or claim more than their tensors. Every file is made at test
// time by a small zip writer (Python's standard library), so central and
// local names, offsets and sizes can say anything.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/checkpoint/internal/zip_directory.h"
#include "hub/fs/files.h"
#include "tests/servers/subprocess.h"

namespace hub::checkpoint {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Writes each case into argv[1]. write_zip takes entries as
// (central name, local name, data, method, declared size); an entry whose
// `at` is set is not written but pointed at that offset.
constexpr char kMakeZips[] = R"PY(
import collections, io, os, struct, sys, zipfile, zlib
import torch

out = sys.argv[1]

def local_header(name, data, method, usize):
    return struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, method, 0, 0,
                       zlib.crc32(data), len(data), usize, len(name), 0) + name

def central_header(name, data, method, usize, offset):
    return struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, method, 0, 0,
                       zlib.crc32(data), len(data), usize, len(name), 0, 0, 0, 0, 0,
                       offset) + name

def write_zip(path, entries):
    body, central = b'', b''
    for e in entries:
        central_name = e['central'].encode()
        local_name = e.get('local', e['central']).encode()
        data = e.get('data', b'payload')
        method = e.get('method', 0)
        usize = e.get('usize', len(data))
        offset = e.get('at', len(body))
        if 'at' not in e:
            body += local_header(local_name, data, method, usize) + data
        central += central_header(central_name, data, method, usize, offset)
    eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(entries), len(entries),
                       len(central), len(body), 0)
    with open(os.path.join(out, path), 'wb') as f:
        f.write(body + central + eocd)

one = lambda path, **e: write_zip(path, [e])
one('central_dotdot.zip', central='../planted.pth', local='planted.pth')
one('local_dotdot.zip', central='planted.pth', local='../planted.pth')
one('both_dotdot.zip', central='../planted.pth')
one('absolute.zip', central='/tmp/planted.pth')
one('nested.zip', central='sub/planted.pth')
one('hidden.zip', central='.planted.pth.source')
one('backslash.zip', central='..\\planted.pth')
one('good.zip', central='planted.pth', data=b'the checkpoint inside')

# Entry b's local header and data lie inside entry a's data.
b_data = b'inner record'
b_local = local_header(b'b', b_data, 0, len(b_data))
write_zip('nested_record.zip', [dict(central='a', data=b_local + b_data),
                                dict(central='b', data=b_data, at=30 + len(b'a'))])
# Two central names for one local header.
write_zip('two_names.zip', [dict(central='a', data=b'shared'),
                            dict(central='b', data=b'shared', at=0)])
write_zip('twice.zip', [dict(central='a', data=b'1'), dict(central='a', data=b'2')])

# A torch.save zip rewritten by hand: every record as saved, but data/0
# (4 float32: 16 bytes) deflated from 256 MiB of zeros (1 MiB in the file).
buf = io.BytesIO()
torch.save(collections.OrderedDict(w=torch.zeros(4)), buf)
entries = []
with zipfile.ZipFile(buf) as z:
    for info in z.infolist():
        data = z.read(info)
        if info.filename.endswith('/data/0'):
            big = 256 << 20
            c = zlib.compressobj(1, zlib.DEFLATED, -15)
            stream = b''.join(c.compress(bytes(16 << 20)) for _ in range(16)) + c.flush()
            entries.append(dict(central=info.filename, data=stream, method=8, usize=big))
        else:
            entries.append(dict(central=info.filename, data=data))
write_zip('deflate_bomb.pt', entries)
# The same with data/0 honest: the writer itself is sound.
entries = []
with zipfile.ZipFile(buf) as z:
    for info in z.infolist():
        entries.append(dict(central=info.filename, data=z.read(info)))
write_zip('rewritten.pt', entries)
)PY";

const std::string& Zips() {
  static const std::string* const dir = [] {
    auto* d = new std::string(absl::StrCat(::hub::testing::TestTempDir(), "/hostile_zips"));
    EXPECT_THAT(MakeDirs(*d), IsOk());
    absl::StatusOr<::hub::testing::CommandResult> r =
        ::hub::testing::RunCommand({"/usr/bin/python3", "-c", kMakeZips, *d});
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : r.status().ToString());
    return d;
  }();
  return *dir;
}

// Every path under `root` with its contents ("<dir>" for directories,
// "-> target" for links).
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> tree;
  EXPECT_THAT(
      WalkTree(root, {},
               [&](const std::string& relative, const std::string& path, const struct stat& st) {
                 if (S_ISDIR(st.st_mode)) {
                   tree[relative] = "<dir>";
                 } else if (S_ISLNK(st.st_mode)) {
                   tree[relative] = "<link>";
                 } else {
                   tree[relative] = ReadTestFile(path);
                 }
                 return absl::OkStatus();
               }),
      IsOk());
  return tree;
}

class LegacyZipNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // root/home/planted.pth and root/home/hub/planted.pth are what a name
    // leaving dest ("../planted.pth") would replace; dest is
    // root/home/hub/checkpoints.
    root_ = TestDir("root");
    WriteTestFile(root_ + "/home/planted.pth", "the user's own file");
    WriteTestFile(root_ + "/home/hub/planted.pth", "a file beside the checkpoints dir");
    WriteTestFile(root_ + "/home/hub/checkpoints/other.pth", "another checkpoint");
    dest_ = root_ + "/home/hub/checkpoints";
    before_ = Snapshot(root_);
  }

  // Everything under root is as it was, but for `added` in dest.
  void ExpectOnlyAdded(const std::vector<std::string>& added) {
    std::map<std::string, std::string> after = Snapshot(root_);
    for (const std::string& name : added) {
      EXPECT_EQ(after.erase("home/hub/checkpoints/" + name), 1U) << name;
    }
    EXPECT_EQ(after, before_);
  }

  std::string root_;
  std::string dest_;
  std::map<std::string, std::string> before_;
};

TEST_F(LegacyZipNamesTest, CentralAndLocalNamesThatDifferAreRefused) {
  // What the names would move without the check: dest/planted.pth to
  // dest/../planted.pth, or the other way.
  WriteTestFile(dest_ + "/planted.pth", "a cached checkpoint");
  before_ = Snapshot(root_);
  for (const char* zip : {"central_dotdot.zip", "local_dotdot.zip"}) {
    SCOPED_TRACE(zip);
    EXPECT_THAT(ExtractLegacyZip(Zips() + "/" + zip, dest_),
                StatusIs(absl::StatusCode::kDataLoss,
                         AllOf(HasSubstr("\"../planted.pth\""), HasSubstr("\"planted.pth\""),
                               HasSubstr("names disagree"))));
    ExpectOnlyAdded({});
  }
}

TEST_F(LegacyZipNamesTest, NamesThatAreNotOnePlainComponentAreRefused) {
  for (const char* zip :
       {"both_dotdot.zip", "absolute.zip", "nested.zip", "hidden.zip", "backslash.zip"}) {
    SCOPED_TRACE(zip);
    EXPECT_THAT(ExtractLegacyZip(Zips() + "/" + zip, dest_),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a plain file name")));
    ExpectOnlyAdded({});
  }
}

TEST_F(LegacyZipNamesTest, APlainNameIsExtractedAndNothingIsReplaced) {
  const std::string zip = Zips() + "/good.zip";
  absl::StatusOr<std::string> file = ExtractLegacyZip(zip, dest_);
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ(*file, dest_ + "/planted.pth");
  EXPECT_EQ(ReadTestFile(*file), "the checkpoint inside");
  ExpectOnlyAdded({"planted.pth"});
  // Again: the same bytes are there already (as torch.hub leaves them).
  ASSERT_THAT(ExtractLegacyZip(zip, dest_), IsOk());
  ExpectOnlyAdded({"planted.pth"});
  // Other bytes under that name are never replaced.
  WriteTestFile(*file, "a file the zip must not overwrite");
  EXPECT_THAT(ExtractLegacyZip(zip, dest_),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr(*file), HasSubstr("never replaced"))));
  EXPECT_EQ(ReadTestFile(*file), "a file the zip must not overwrite");
  EXPECT_EQ(::hub::testing::ListDir(dest_), (std::vector<std::string>{"other.pth", "planted.pth"}));
}

TEST(HostileZipTest, RecordsThatShareBytesAreRefused) {
  for (const char* zip : {"nested_record.zip", "two_names.zip"}) {
    SCOPED_TRACE(zip);
    const std::string bytes = ReadTestFile(Zips() + "/" + zip);
    ASSERT_FALSE(bytes.empty());
    EXPECT_THAT(checkpoint_internal::ReadZipDirectory(bytes),
                StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(LoadCheckpoint(Zips() + "/" + zip), StatusIs(absl::StatusCode::kDataLoss));
  }
  EXPECT_THAT(checkpoint_internal::ReadZipDirectory(ReadTestFile(Zips() + "/nested_record.zip")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("overlap")));
  EXPECT_THAT(checkpoint_internal::ReadZipDirectory(ReadTestFile(Zips() + "/twice.zip")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("appears twice")));
}

// The peak resident memory, in bytes, of a child process that loads `path`
// (its own getrusage, sent back through a pipe: RUSAGE_CHILDREN would count
// the Python that made the fixtures), and whether its load failed with
// kDataLoss.
struct ChildLoad {
  int64_t max_rss = 0;
  bool data_loss = false;
};
ChildLoad LoadInChild(const std::string& path) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    absl::StatusOr<Checkpoint> c = LoadCheckpoint(path);
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    const int64_t rss = int64_t{usage.ru_maxrss} * 1024;
    const bool ok = write(fds[1], &rss, sizeof(rss)) == static_cast<ssize_t>(sizeof(rss));
    _exit(ok && !c.ok() && c.status().code() == absl::StatusCode::kDataLoss ? 0 : 1);
  }
  close(fds[1]);
  ChildLoad result;
  EXPECT_EQ(read(fds[0], &result.max_rss, sizeof(result.max_rss)),
            static_cast<ssize_t>(sizeof(result.max_rss)));
  close(fds[0]);
  int wstatus = 0;
  EXPECT_EQ(waitpid(pid, &wstatus, 0), pid);
  result.data_loss = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
  return result;
}

// This process's resident memory now, in bytes.
int64_t CurrentRss() {
  std::istringstream statm(ReadTestFile("/proc/self/statm"));
  int64_t pages = 0;
  int64_t resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST(HostileZipTest, ARecordLargerThanItsTensorIsRefusedBeforeInflating) {
  const std::string bomb = Zips() + "/deflate_bomb.pt";
  // Inflated before the check, the record would take 256 MiB. A forked
  // child starts with this process's pages.
  const int64_t start = CurrentRss();
  const ChildLoad child = LoadInChild(bomb);
  EXPECT_TRUE(child.data_loss);
  EXPECT_LT(child.max_rss, start + (64 << 20)) << "started at " << start;

  EXPECT_THAT(LoadCheckpoint(bomb),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("(16 bytes) but its record has 268435456 bytes")));
  absl::StatusOr<Checkpoint> honest = LoadCheckpoint(Zips() + "/rewritten.pt");
  ASSERT_THAT(honest, IsOk());
  EXPECT_EQ(honest->value.Find("w")->tensor().numel(), 4);
}

}  // namespace
}  // namespace hub::checkpoint
