// Proves BoringSSL builds from source, hashes correctly, and keeps its
// symbols to itself (nothing is exported that could interpose OpenSSL's).
#include <dlfcn.h>
#include <openssl/base.h>
#include <openssl/sha.h>

#include <string>

#include "gtest/gtest.h"

namespace {

TEST(BoringsslTest, IsBoringssl) {
#ifndef OPENSSL_IS_BORINGSSL
  FAIL() << "OpenSSL's headers were picked up instead of BoringSSL's";
#endif
}

TEST(BoringsslTest, Sha256OfAbc) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  const std::string abc = "abc";
  SHA256(reinterpret_cast<const uint8_t*>(abc.data()), abc.size(), digest);
  static constexpr unsigned char kExpected[SHA256_DIGEST_LENGTH] = {
      0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
      0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
      0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  EXPECT_EQ(std::string(digest, digest + SHA256_DIGEST_LENGTH),
            std::string(kExpected, kExpected + SHA256_DIGEST_LENGTH));
}

TEST(BoringsslTest, SymbolsAreHidden) {
  // No libcrypto is loaded in this test, so a name found by the dynamic
  // linker could only come from this executable's BoringSSL.
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "SHA256_Init"), nullptr);
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "EVP_sha256"), nullptr);
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "SSL_CTX_new"), nullptr);
}

}  // namespace
