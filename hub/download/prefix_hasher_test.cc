#include "hub/download/prefix_hasher.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/hash/sha256.h"

namespace hub::download_internal {
namespace {

using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131) ^ (i >> 11));
  return s;
}

TEST(PrefixHasherTest, HashesBytesWrittenOutOfOrderOnceThePrefixIsWhole) {
  const std::string path = TestDir("prefix") + "/f";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  ASSERT_GE(fd, 0);
  const std::string data = Pattern((5 << 20) + 123);
  const size_t piece = data.size() / 4 + 1;
  PrefixHasher hasher(fd);
  // Written back to front from four threads; the prefix is announced as
  // each piece before it is whole.
  std::vector<std::thread> writers;
  for (size_t start = 0; start < data.size(); start += piece) {
    writers.emplace_back([&, start] {
      const size_t n = std::min(piece, data.size() - start);
      ASSERT_EQ(::pwrite(fd, data.data() + start, n, static_cast<off_t>(start)),
                static_cast<ssize_t>(n));
    });
  }
  for (std::thread& t : writers) t.join();
  hasher.Advance(static_cast<int64_t>(piece));
  hasher.Advance(1);  // smaller: ignored
  HUB_ASSERT_OK_AND_ASSIGN(const std::string hex, hasher.Finish(static_cast<int64_t>(data.size())));
  EXPECT_EQ(hex, Sha256Hex(data));
  EXPECT_EQ(hasher.hashed(), static_cast<int64_t>(data.size()));
  ::close(fd);
}

TEST(PrefixHasherTest, GoesOnFromAnOffsetWithAHasherThatHasTheBytesBefore) {
  const std::string path = TestDir("offset") + "/f";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  ASSERT_GE(fd, 0);
  const std::string data = Pattern((3 << 20) + 99);
  const size_t start = (1 << 20) + 7;
  // Bytes before `start` that differ from what the hasher holds must not be
  // read: the digest is of what the hasher was given, then of the file.
  std::string file = data;
  file[0] ^= 1;
  ASSERT_EQ(::pwrite(fd, file.data(), file.size(), 0), static_cast<ssize_t>(file.size()));
  Sha256 before;
  before.Update(data.data(), start);
  PrefixHasher hasher(fd, static_cast<int64_t>(start), std::move(before));
  EXPECT_EQ(hasher.hashed(), static_cast<int64_t>(start));
  HUB_ASSERT_OK_AND_ASSIGN(const std::string hex, hasher.Finish(static_cast<int64_t>(data.size())));
  EXPECT_EQ(hex, Sha256Hex(data));
  ::close(fd);
}

TEST(PrefixHasherTest, AFileShorterThanPromisedIsDataLoss) {
  const std::string path = TestDir("short") + "/f";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "abc", 3), 3);
  PrefixHasher hasher(fd);
  EXPECT_THAT(hasher.Finish(10), StatusIs(absl::StatusCode::kDataLoss));
  ::close(fd);
}

TEST(PrefixHasherTest, AnEmptyFileHasTheEmptyDigest) {
  const std::string path = TestDir("empty") + "/f";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  ASSERT_GE(fd, 0);
  PrefixHasher hasher(fd);
  HUB_ASSERT_OK_AND_ASSIGN(const std::string hex, hasher.Finish(0));
  EXPECT_EQ(hex, Sha256Hex(""));
  ::close(fd);
}

}  // namespace
}  // namespace hub::download_internal
