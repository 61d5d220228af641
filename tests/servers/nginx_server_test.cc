#include "tests/servers/nginx_server.h"

#include <curl/curl.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "tests/servers/subprocess.h"

namespace hub::testing {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Fetches `url` trusting `ca_file`; returns the HTTP status, body in `body`.
long Get(  // NOLINT(google-runtime-int): curl reports codes as long
    const std::string& url, const std::string& ca_file, std::string* body) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
  if (!ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  long code = 0;  // NOLINT(google-runtime-int)
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  }
  curl_easy_cleanup(curl);
  return code;
}

TEST(NginxServerTest, ServesFilesOverVerifiedHttps) {
  HUB_ASSERT_OK_AND_ASSIGN(const std::string root, MakeTempDir("root"));
  std::ofstream(root + "/hello.txt") << "hello over tls";
  HUB_ASSERT_OK_AND_ASSIGN(auto server, NginxServer::Start({.root = root}));
  std::string body;
  EXPECT_EQ(Get(server->Url("/hello.txt"), server->ca_file(), &body), 200);
  EXPECT_EQ(body, "hello over tls");
  body.clear();
  EXPECT_EQ(Get(server->Url("/missing"), server->ca_file(), &body), 404);
  EXPECT_THAT(server->ReadAccessLog(), ::testing::HasSubstr("GET /hello.txt HTTP/1.1 200 14"));
}

TEST(NginxServerTest, RejectsClientsThatDoNotTrustItsCertificate) {
  HUB_ASSERT_OK_AND_ASSIGN(const std::string root, MakeTempDir("root"));
  HUB_ASSERT_OK_AND_ASSIGN(auto server, NginxServer::Start({.root = root}));
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, server->Url("/").c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, "/dev/null");
  EXPECT_NE(curl_easy_perform(curl), CURLE_OK);
  curl_easy_cleanup(curl);
}

TEST(NginxServerTest, ServesPlainHttp) {
  HUB_ASSERT_OK_AND_ASSIGN(const std::string root, MakeTempDir("root"));
  std::ofstream(root + "/a") << "plain";
  HUB_ASSERT_OK_AND_ASSIGN(auto server, NginxServer::Start({.root = root, .tls = false}));
  std::string body;
  EXPECT_EQ(Get(server->Url("/a"), "", &body), 200);
  EXPECT_EQ(body, "plain");
}

}  // namespace
}  // namespace hub::testing
