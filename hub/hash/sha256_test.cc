#include "hub/hash/sha256.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::testing::HasSubstr;

// FIPS 180-2 and NIST's example vectors, through the one-call form.
TEST(Sha256Test, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, ChunkedUpdatesEqualOneUpdate) {
  std::mt19937 rng(42);  // NOLINT(cert-msc51-cpp): a fixed seed makes the test reproducible
  std::string data(3 * 1024 * 1024 + 17, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const std::string whole = Sha256Hex(data);
  for (const size_t chunk : {1u, 63u, 64u, 65u, 4096u, 1u << 20}) {
    Sha256 hasher;
    for (size_t i = 0; i < data.size(); i += chunk) {
      hasher.Update(absl::string_view(data).substr(i, chunk));
    }
    EXPECT_EQ(hasher.bytes_hashed(), data.size());
    EXPECT_EQ(hasher.HexDigest(), whole) << "chunk " << chunk;
  }
}

TEST(Sha256Test, FinishStartsOver) {
  Sha256 hasher;
  hasher.Update("abc");
  const Sha256Digest first = hasher.Finish();
  EXPECT_EQ(hasher.bytes_hashed(), 0u);
  hasher.Update("abc");
  EXPECT_EQ(hasher.Finish(), first);
  EXPECT_EQ(hasher.HexDigest(), Sha256Hex(""));
}

TEST(Sha256Test, MovedHasherKeepsItsState) {
  Sha256 a;
  a.Update("ab");
  Sha256 b = std::move(a);
  b.Update("c");
  EXPECT_EQ(b.HexDigest(), Sha256Hex("abc"));
  Sha256 c;
  c = std::move(b);
  c.Update("abc");
  EXPECT_EQ(c.HexDigest(), Sha256Hex("abc"));
}

TEST(Sha256Test, HexIsLowercaseAndPadded) {
  Sha256Digest digest{};
  digest[0] = 0x0a;
  digest[31] = 0xf0;
  const std::string hex = ToHex(digest);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_TRUE(absl::StartsWith(hex, "0a00"));
  EXPECT_TRUE(absl::EndsWith(hex, "00f0"));
}

TEST(Sha256FileHexTest, AgreesWithSha256sum) {
  const std::string path = TestDir("sha256_file") + "/data.bin";
  std::mt19937 rng(7);  // NOLINT(cert-msc51-cpp): a fixed seed makes the test reproducible
  std::string data(5 * 1024 * 1024 + 3, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary) << data;
  HUB_ASSERT_OK_AND_ASSIGN(const hub::testing::CommandResult r,
                           hub::testing::RunCommand({"sha256sum", path}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(Sha256FileHex(path), IsOkAndHolds(r.output.substr(0, 64)));
  EXPECT_EQ(Sha256Hex(data), r.output.substr(0, 64));
}

TEST(Sha256FileHexTest, EmptyFile) {
  const std::string path = TestDir("sha256_empty") + "/empty";
  std::ofstream(path, std::ios::binary).close();
  EXPECT_THAT(Sha256FileHex(path), IsOkAndHolds(Sha256Hex("")));
}

TEST(Sha256FileHexTest, MissingFileIsNotFoundAndNamed) {
  const std::string path = TestDir("sha256_missing") + "/nope.pth";
  EXPECT_THAT(Sha256FileHex(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope.pth")));
}

TEST(Sha256FileHexTest, DirectoryIsAnError) {
  const std::string dir = TestDir("sha256_dir");
  const absl::StatusOr<std::string> r = Sha256FileHex(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(dir));
}

TEST(Sha256Test, BuiltWithTheExpectedBackend) {
  const char* expected = std::getenv("HUB_EXPECTED_CRYPTO");
  ASSERT_NE(expected, nullptr);
  const std::string name = absl::AsciiStrToLower(CryptoBackendName());
  EXPECT_THAT(name, HasSubstr(expected)) << CryptoBackendName();
}

}  // namespace
}  // namespace hub
