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

// Each character a ref may hold that would change a URL's shape reaches
// GitHub as itself: percent-encoded, "/" kept.
TEST(GithubEndpointsTest, RefsArePercentEncodedInArchiveUrls) {
  const GithubEndpoints gh;
  struct Case {
    std::string ref;
    std::string path;  // after "/zipball/"
  };
  for (const Case& c : std::vector<Case>{
           {"fix#1", "fix%231"},
           {"50%off", "50%25off"},
           {"%41", "%2541"},
           {"why?", "why%3F"},
           {"with space", "with%20space"},
           {"release/1.0", "release/1.0"},
           {"ci/test_slash", "ci/test_slash"},
           {"caf\xC3\xA9", "caf%C3%A9"},
           {"\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x9A\x80", "%E6%97%A5%E6%9C%AC/%F0%9F%9A%80"},
           {"v1.0+cu118", "v1.0%2Bcu118"},
           {"a;b", "a%3Bb"},
           {"x/../y", "x/%2E%2E/y"},
       }) {
    EXPECT_EQ(gh.ArchiveUrl("acme", "models", c.ref),
              "https://github.com/acme/models/zipball/" + c.path)
        << c.ref;
  }
  // The retry after GitHub's 300 answer.
  EXPECT_EQ(gh.ArchiveUrl("a", "b", "refs/heads/fix#1"),
            "https://github.com/a/b/zipball/refs/heads/fix%231");
  // A commit hash, as pinned fetches use, is unchanged.
  EXPECT_EQ(gh.ArchiveUrl("a", "b", std::string(40, 'f')),
            "https://github.com/a/b/zipball/" + std::string(40, 'f'));
}

TEST(GithubEndpointsTest, OwnersAndNamesAreOnePathSegmentEach) {
  const GithubEndpoints gh;
  EXPECT_EQ(gh.RepoUrl("a/b", "c?d"), "https://github.com/a%2Fb/c%3Fd");
  EXPECT_EQ(gh.ArchiveUrl("..", "#", "main"), "https://github.com/%2E%2E/%23/zipball/main");
  EXPECT_EQ(gh.MainBranchProbeUrl("a b", "n"), "https://github.com/a%20b/n/tree/main/");
  EXPECT_EQ(gh.ApiPageUrl("o", "n?page=9#", "tags", 1),
            "https://api.github.com/repos/o/n%3Fpage=9%23/tags?per_page=100&page=1");
  EXPECT_EQ(gh.CompareUrl("o", "n#", "0123abc", "fedc"),
            "https://api.github.com/repos/o/n%23/compare/0123abc...fedc?per_page=1");
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
