#include "hub/download/file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/hash/sha256.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::RandomBytes;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;

std::string ReadAll(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY);
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST(FileSinkTest, WritesAndHashesEveryByteInOrder) {
  const std::string path = TestDir("sink_order") + "/f";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  const std::string data = RandomBytes(9 * 1024 * 1024 + 123, 1);
  HUB_ASSERT_OK_AND_ASSIGN(auto sink, FileSink::Create(fd, 0, Sha256()));
  // Odd chunk sizes straddle the 1 MiB buffers.
  std::mt19937 rng(2);  // NOLINT(cert-msc51-cpp): a fixed seed makes the test reproducible
  for (size_t i = 0; i < data.size();) {
    const size_t n = std::min<size_t>(data.size() - i, 1 + rng() % 300000);
    ASSERT_THAT(sink->Append(data.data() + i, n), IsOk());
    i += n;
  }
  EXPECT_EQ(sink->bytes_appended(), static_cast<int64_t>(data.size()));
  HUB_ASSERT_OK_AND_ASSIGN(const FileSink::Summary summary, sink->Finish());
  EXPECT_EQ(summary.bytes, static_cast<int64_t>(data.size()));
  EXPECT_EQ(summary.sha256_hex, Sha256Hex(data));
  ::close(fd);
  EXPECT_EQ(ReadAll(path), data);
}

TEST(FileSinkTest, ContinuesAfterAnOffsetWithASeededHasher) {
  const std::string path = TestDir("sink_offset") + "/f";
  const std::string data = RandomBytes(size_t{3} << 20, 3);
  const size_t split = 1234567;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_EQ(::write(fd, data.data(), split), static_cast<ssize_t>(split));
  // Junk past the offset is overwritten.
  ASSERT_EQ(::write(fd, "junk", 4), 4);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(split)), 0);
  Sha256 seeded;
  seeded.Update(data.data(), split);
  HUB_ASSERT_OK_AND_ASSIGN(auto sink, FileSink::Create(fd, split, std::move(seeded)));
  ASSERT_THAT(sink->Append(data.data() + split, data.size() - split), IsOk());
  HUB_ASSERT_OK_AND_ASSIGN(const FileSink::Summary summary, sink->Finish());
  EXPECT_EQ(summary.bytes, static_cast<int64_t>(data.size()));
  EXPECT_EQ(summary.sha256_hex, Sha256Hex(data));
  ::close(fd);
  EXPECT_EQ(ReadAll(path), data);
}

TEST(FileSinkTest, TakeHasherHandsOverTheBytesSoFar) {
  const std::string path = TestDir("sink_take") + "/f";
  const std::string data = RandomBytes((size_t{2} << 20) + 77, 4);
  const size_t split = (size_t{1} << 20) + 5;  // a buffer and a bit
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  HUB_ASSERT_OK_AND_ASSIGN(auto sink, FileSink::Create(fd, 0, Sha256()));
  ASSERT_THAT(sink->Append(data.data(), split), IsOk());
  HUB_ASSERT_OK_AND_ASSIGN(Sha256 hasher, sink->TakeHasher());
  EXPECT_EQ(hasher.bytes_hashed(), split);
  // Written out, and the sink takes no more.
  EXPECT_EQ(ReadAll(path), data.substr(0, split));
  EXPECT_THAT(sink->Append("x", 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(sink->Finish().status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  hasher.Update(data.data() + split, data.size() - split);
  EXPECT_EQ(hasher.HexDigest(), Sha256Hex(data));
  ::close(fd);
}

TEST(FileSinkTest, FlushPutsBytesInTheFile) {
  const std::string path = TestDir("sink_flush") + "/f";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  HUB_ASSERT_OK_AND_ASSIGN(auto sink, FileSink::Create(fd, 0, Sha256()));
  ASSERT_THAT(sink->Append("hello", 5), IsOk());
  ASSERT_THAT(sink->Flush(), IsOk());
  EXPECT_EQ(ReadAll(path), "hello");
  ASSERT_THAT(sink->Append(" world", 6), IsOk());
  HUB_ASSERT_OK_AND_ASSIGN(const FileSink::Summary summary, sink->Finish());
  EXPECT_EQ(summary.sha256_hex, Sha256Hex("hello world"));
  EXPECT_THAT(sink->Append("x", 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  ::close(fd);
}

// A transfer that gives up (or restarts) drops its sink without Finish; the
// bytes it appended must be in the file, at their offsets, before the
// destructor returns, since the next attempt resumes from the file's length.
TEST(FileSinkTest, TheDestructorWritesEverythingAppended) {
  const std::string path = TestDir("sink_destructor") + "/f";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "head:", 5, 0), 5);
  // Several full buffers, then a partial one that never reached the worker.
  const std::string data = RandomBytes((size_t{5} << 20) + 12345, 7);
  {
    Sha256 seeded;
    seeded.Update("head:", 5);
    HUB_ASSERT_OK_AND_ASSIGN(auto sink, FileSink::Create(fd, 5, std::move(seeded)));
    ASSERT_THAT(sink->Append(data.data(), data.size()), IsOk());
  }
  EXPECT_EQ(ReadAll(path), "head:" + data);
  ::close(fd);
}

TEST(FileSinkTest, EmptyStream) {
  const std::string path = TestDir("sink_empty") + "/f";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  HUB_ASSERT_OK_AND_ASSIGN(auto sink, FileSink::Create(fd, 0, Sha256()));
  HUB_ASSERT_OK_AND_ASSIGN(const FileSink::Summary summary, sink->Finish());
  EXPECT_EQ(summary.bytes, 0);
  EXPECT_EQ(summary.sha256_hex, Sha256Hex(""));
  ::close(fd);
}

TEST(FileSinkTest, WriteErrorsReachTheCaller) {
  // /dev/full fails every write with ENOSPC.
  const int fd = ::open("/dev/full", O_WRONLY);
  ASSERT_GE(fd, 0);
  HUB_ASSERT_OK_AND_ASSIGN(auto sink, FileSink::Create(fd, 0, Sha256()));
  const std::string data = RandomBytes(size_t{4} << 20, 4);
  absl::Status status;
  for (int i = 0; i < 8 && status.ok(); ++i) status = sink->Append(data.data(), data.size());
  if (status.ok()) status = sink->Flush();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(sink->Finish().ok());
  ::close(fd);
}

TEST(FileSinkTest, RefusesABadDescriptor) {
  EXPECT_THAT(FileSink::Create(-1, 0, Sha256()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hub
