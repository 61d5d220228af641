// Proves OpenSSL 3's libcrypto links and hashes.
#include <openssl/opensslv.h>
#include <openssl/sha.h>

#include <string>

#include "gtest/gtest.h"

namespace {

TEST(OpensslTest, Sha256OfAbc) {
#ifdef OPENSSL_IS_BORINGSSL
  FAIL() << "BoringSSL's headers were picked up instead of OpenSSL's";
#endif
  unsigned char digest[SHA256_DIGEST_LENGTH];
  const std::string abc = "abc";
  SHA256(reinterpret_cast<const unsigned char*>(abc.data()), abc.size(), digest);
  EXPECT_EQ(digest[0], 0xba);
  EXPECT_EQ(digest[31], 0xad);
}

}  // namespace
