#include "hub/cache/download_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::TestDir;

TEST(DownloadRecordTest, RoundTripsInTheDocumentedFormat) {
  DownloadRecord r;
  r.partial = "w.pth.0123456789abcdef0123456789abcdef.partial";
  r.url = "https://h/w.pth";
  r.etag = "\"abc\"";
  r.total = 42;
  const std::string text = SerializeDownloadRecord(r);
  EXPECT_EQ(text,
            "torchhub-download 1\npartial w.pth.0123456789abcdef0123456789abcdef.partial\n"
            "url https://h/w.pth\netag \"abc\"\nlast-modified \ntotal 42\nend\n");
  const std::optional<DownloadRecord> back = ParseDownloadRecord(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->partial, r.partial);
  EXPECT_EQ(back->url, r.url);
  EXPECT_EQ(back->etag, r.etag);
  EXPECT_EQ(back->last_modified, "");
  EXPECT_EQ(back->total, 42);
}

TEST(DownloadRecordTest, AParallelTransferListsItsSpansBeforeEnd) {
  DownloadRecord r;
  r.partial = "w.pth.0123456789abcdef0123456789abcdef.partial";
  r.url = "https://h/w.pth";
  r.last_modified = "Tue, 01 Dec 2026 00:00:00 GMT";
  r.total = 100;
  r.ranged = true;
  r.ranges = {{0, 10}, {20, 30}};
  const std::string text = SerializeDownloadRecord(r);
  EXPECT_EQ(text,
            "torchhub-download 1\npartial w.pth.0123456789abcdef0123456789abcdef.partial\n"
            "url https://h/w.pth\netag \nlast-modified Tue, 01 Dec 2026 00:00:00 GMT\n"
            "total 100\nranges 0-9 20-29\nend\n");
  const std::optional<DownloadRecord> back = ParseDownloadRecord(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->ranged);
  EXPECT_EQ(back->ranges, r.ranges);
  EXPECT_EQ(back->total, 100);

  r.ranges.clear();
  const std::optional<DownloadRecord> none = ParseDownloadRecord(SerializeDownloadRecord(r));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->ranged);
  EXPECT_TRUE(none->ranges.empty());
}

TEST(DownloadRecordTest, SpansOutOfOrderOrOverlappingAreNone) {
  const std::string head =
      "torchhub-download 1\npartial x\nurl \netag \nlast-modified \ntotal 100\n";
  for (const char* ranges : {"ranges 20-29 0-9", "ranges 0-9 5-12", "ranges 9-0", "ranges x-1",
                             "ranges 0-", "spans 0-9"}) {
    EXPECT_FALSE(ParseDownloadRecord(absl::StrCat(head, ranges, "\nend\n")).has_value()) << ranges;
  }
  EXPECT_TRUE(ParseDownloadRecord(absl::StrCat(head, "ranges 0-9 10-19\nend\n")).has_value());
}

TEST(DownloadRecordTest, AnythingButAWholeRecordIsNone) {
  for (const char* text : {"",
                           "torchhub-download 2\npartial x\nurl \netag \nlast-modified \n"
                           "total -1\nend\n",
                           "torchhub-download 1\npartial x\n",
                           "torchhub-download 1\npartial x\nurl \netag \nlast-modified \n"
                           "total many\nend\n"}) {
    EXPECT_FALSE(ParseDownloadRecord(text).has_value()) << text;
  }
}

TEST(DownloadRecordTest, WrittenAndReadThroughTheLockDescriptor) {
  const std::string path = TestDir("record") + "/.w.pth.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  ASSERT_GE(fd, 0);
  EXPECT_THAT(WriteDownloadRecordText(fd, "a much longer first text"), IsOk());
  EXPECT_THAT(WriteDownloadRecordText(fd, "short"), IsOk());
  EXPECT_EQ(ReadDownloadRecordText(fd), "short");
  EXPECT_THAT(WriteDownloadRecordText(fd, ""), IsOk());
  EXPECT_EQ(ReadDownloadRecordText(fd), "");
  ::close(fd);
}

}  // namespace
}  // namespace hub
