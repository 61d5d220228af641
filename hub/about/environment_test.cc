#include "hub/about/environment.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::Pair;

TEST(EnvironmentTest, VersionIsTheVersionFile) {
  const std::string file = ::hub::testing::ReadTestFile(::hub::testing::RunfilePath("VERSION"));
  EXPECT_EQ(TorchhubVersion(), std::string(absl::StripAsciiWhitespace(file)));
  EXPECT_THAT(TorchhubVersion(), MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+.*"));
}

TEST(EnvironmentTest, MasksOnlyTheProxyPassword) {
  const std::pair<std::string, std::string> cases[] = {
      {"http://user:secret@proxy:3128", "http://user:***@proxy:3128"},
      {"http://user:s:e@cret@proxy", "http://user:***@proxy"},
      {"user:secret@proxy:3128", "user:***@proxy:3128"},
      {"http://proxy:3128", "http://proxy:3128"},
      {"http://user@proxy:3128", "http://user@proxy:3128"},
      {"localhost,.internal", "localhost,.internal"},
      {"", ""},
  };
  for (const auto& [url, masked] : cases) EXPECT_EQ(MaskProxyPassword(url), masked) << url;
}

TEST(EnvironmentTest, ReportsTheHubDirCaAndProxiesFromTheEnvironment) {
  const std::string home = ::hub::testing::TestDir("torch_home");
  ::setenv("TORCH_HOME", home.c_str(), 1);
  ::setenv("SSL_CERT_FILE", "/ssl/cert.pem", 1);
  ::setenv("CURL_CA_BUNDLE", "/curl/ca.pem", 1);
  ::setenv("https_proxy", "http://me:hunter2@proxy.example:3128", 1);
  ::unsetenv("http_proxy");
  const EnvironmentReport r = DescribeEnvironment();
  EXPECT_EQ(r.hub_dir, home + "/hub");
  // CURL_CA_BUNDLE first, as downloads do.
  EXPECT_EQ(r.ca_bundle, "/curl/ca.pem");
  EXPECT_EQ(r.ca_bundle_source, "CURL_CA_BUNDLE");
  EXPECT_THAT(r.proxies, Contains(Pair("https_proxy", "http://me:***@proxy.example:3128")));
  EXPECT_THAT(r.proxies, Not(Contains(Pair("http_proxy", ::testing::_))));

  ::unsetenv("CURL_CA_BUNDLE");
  EXPECT_EQ(DescribeEnvironment().ca_bundle, "/ssl/cert.pem");
  ::unsetenv("SSL_CERT_FILE");
  ::unsetenv("https_proxy");
  const EnvironmentReport plain = DescribeEnvironment();
  EXPECT_NE(plain.ca_bundle, "/ssl/cert.pem");
  EXPECT_THAT(plain.proxies, IsEmpty());
  ::unsetenv("TORCH_HOME");
}

TEST(EnvironmentTest, NamesEveryLibraryVersion) {
  const EnvironmentReport r = DescribeEnvironment();
  EXPECT_EQ(r.version, TorchhubVersion());
  const std::string version = "[0-9]+\\.[0-9]+.*";
  EXPECT_THAT(r.libtorch_version, MatchesRegex(version));
  EXPECT_THAT(r.python_version, MatchesRegex(version));
  EXPECT_THAT(r.libcurl_version, MatchesRegex(version));
  EXPECT_THAT(r.libgit2_version, MatchesRegex(version));
  EXPECT_THAT(r.crypto_backend, Not(IsEmpty()));
  EXPECT_THAT(r.libtorch_root, Not(IsEmpty()));
  EXPECT_THAT(r.python_executable, Not(IsEmpty()));
  EXPECT_THAT(r.os, Not(IsEmpty()));
}

TEST(EnvironmentTest, TorchhubPythonNamesTheInterpreter) {
  ::setenv("TORCHHUB_PYTHON", "/opt/venv/bin/python", 1);
  EXPECT_EQ(DescribeEnvironment().python_executable, "/opt/venv/bin/python");
  ::unsetenv("TORCHHUB_PYTHON");
  EXPECT_NE(DescribeEnvironment().python_executable, "/opt/venv/bin/python");
}

TEST(EnvironmentTest, SandboxProbeSaysWhyWhenUnavailable) {
  const SandboxSupport s = ProbeSandbox();
  if (s.user_namespace) {
    EXPECT_THAT(s.user_namespace_error, IsEmpty());
  } else {
    EXPECT_THAT(s.user_namespace_error, Not(IsEmpty()));
  }
  // Linux has had this file since 4.9.
  ASSERT_TRUE(s.max_user_namespaces.has_value());
  EXPECT_THAT(*s.max_user_namespaces, MatchesRegex("[0-9]+"));
}

}  // namespace
}  // namespace hub
