#include "hub/source/github.h"

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace hub {
namespace {

TEST(GithubEndpointsTest, TorchHubsUrls) {
  const GithubEndpoints gh;
  EXPECT_EQ(gh.ArchiveUrl("pytorch", "vision", "v0.10.0"),
            "https://github.com/pytorch/vision/zipball/v0.10.0");
  EXPECT_EQ(gh.ArchiveUrl("a", "b", "refs/heads/x/y"),
            "https://github.com/a/b/zipball/refs/heads/x/y");
  EXPECT_EQ(gh.MainBranchProbeUrl("pytorch", "vision"),
            "https://github.com/pytorch/vision/tree/main/");
  EXPECT_EQ(gh.ApiPageUrl("pytorch", "vision", "branches", 2),
            "https://api.github.com/repos/pytorch/vision/branches?per_page=100&page=2");
  EXPECT_EQ(gh.RepoUrl("pytorch", "vision"), "https://github.com/pytorch/vision");
  EXPECT_EQ(gh.ApiOrigin(), "https://api.github.com");
}

TEST(GithubEndpointsTest, ApiOriginIsSchemeHostAndPort) {
  GithubEndpoints gh;
  for (const auto& [api, origin] : std::vector<std::pair<std::string, std::string>>{
           {"https://api.github.com", "https://api.github.com"},
           {"HTTPS://API.GitHub.com:443/", "https://api.github.com:443"},
           {"http://127.0.0.1:8080/api", "http://127.0.0.1:8080"},
           {"https://user:pw@ghe.example:8443/api/v3", "https://ghe.example:8443"},
           {"http://[::1]:99/api?x#y", "http://[::1]:99"},
       }) {
    gh.api = api;
    EXPECT_EQ(gh.ApiOrigin(), origin) << api;
  }
}

TEST(GithubEndpointsTest, EnvironmentOverridesAndTrailingSlashes) {
  ::setenv(kGithubUrlEnv, "https://mirror.example:8443/gh/", 1);
  ::setenv(kGithubApiUrlEnv, "http://user@API.Example:8080/api/v3//", 1);
  const GithubEndpoints gh = GithubEndpoints::FromEnvironment();
  ::unsetenv(kGithubUrlEnv);
  ::unsetenv(kGithubApiUrlEnv);
  EXPECT_EQ(gh.web, "https://mirror.example:8443/gh");
  EXPECT_EQ(gh.api, "http://user@API.Example:8080/api/v3");
  EXPECT_EQ(gh.ArchiveUrl("o", "n", "r"), "https://mirror.example:8443/gh/o/n/zipball/r");
  EXPECT_EQ(gh.ApiOrigin(), "http://api.example:8080");
  const GithubEndpoints defaults = GithubEndpoints::FromEnvironment();
  EXPECT_EQ(defaults.web, "https://github.com");
}

}  // namespace
}  // namespace hub
