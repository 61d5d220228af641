// Proves Debian's libcurl links and runs: its TLS backend is OpenSSL, and a
// file:// transfer works.
#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

TEST(CurlTest, UsesOpenSslBackend) {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  ASSERT_NE(info->ssl_version, nullptr);
  EXPECT_NE(std::string(info->ssl_version).find("OpenSSL"), std::string::npos) << info->ssl_version;
  EXPECT_TRUE(info->features & CURL_VERSION_SSL);
}

TEST(CurlTest, TransfersLocalFile) {
  const std::string path = TempDir() + "/in.txt";
  std::ofstream(path) << "hello from curl";
  ASSERT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  std::string body;
  const std::string url = "file://" + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  EXPECT_EQ(curl_easy_perform(curl), CURLE_OK);
  EXPECT_EQ(body, "hello from curl");
  curl_easy_cleanup(curl);
  curl_global_cleanup();
}

}  // namespace
