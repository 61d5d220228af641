#include "hub/download/curl_common.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub::download_internal {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(SplitUrlTest, OriginWithTheSchemesDefaultPort) {
  struct Case {
    std::string url;
    std::string scheme, host;
    int port;
  };
  for (const Case& c : std::vector<Case>{
           {"https://api.github.com/repos/a/b", "https", "api.github.com", 443},
           {"HTTPS://API.GitHub.com:443/", "https", "api.github.com", 443},
           {"http://127.0.0.1:8080/x?y#z", "http", "127.0.0.1", 8080},
           {"http://user:pw@example.com/", "http", "example.com", 80},
           {"http://[::1]:99/", "http", "[::1]", 99},
       }) {
    const std::optional<UrlParts> parts = SplitUrl(c.url);
    ASSERT_TRUE(parts.has_value()) << c.url;
    EXPECT_EQ(parts->scheme, c.scheme) << c.url;
    EXPECT_EQ(parts->host, c.host) << c.url;
    EXPECT_EQ(parts->port, c.port) << c.url;
  }
  EXPECT_FALSE(SplitUrl("not a url").has_value());
}

TEST(ShouldSendTokenTest, OnlyToAnAllowedOriginAndOnlyWhileOnTheOriginalOne) {
  struct Case {
    std::string url;
    std::string original;
    std::vector<std::string> token_hosts;
    bool send;
  };
  const std::vector<std::string> kDefault = {"api.github.com"};
  for (const Case& c : std::vector<Case>{
           // The default: https://api.github.com, port 443, and nothing else.
           {"https://api.github.com/repos/a/b/tags", "https://api.github.com/x", kDefault, true},
           {"https://API.GITHUB.COM:443/x", "https://api.github.com/y", kDefault, true},
           {"http://api.github.com/x", "http://api.github.com/x", kDefault, false},
           {"https://api.github.com:8443/x", "https://api.github.com:8443/x", kDefault, false},
           {"https://github.com/a/b/zipball/main", "https://github.com/a/b/zipball/main", kDefault,
            false},
           {"https://evil.example/api.github.com", "https://evil.example/api.github.com", kDefault,
            false},
           // A redirect away from the original origin loses the token, even
           // to another allowed origin, another port or another scheme of
           // the same host.
           {"https://api.github.com/x", "https://github.com/y", kDefault, false},
           {"https://api.github.com:444/x",
            "https://api.github.com/x",
            {"api.github.com", "api.github.com:444"},
            false},
           {"http://127.0.0.1:8080/x",
            "http://127.0.0.1:9090/x",
            {"http://127.0.0.1:8080", "http://127.0.0.1:9090"},
            false},
           {"http://127.0.0.1:443/x",
            "https://127.0.0.1/x",
            {"https://127.0.0.1", "http://127.0.0.1:443"},
            false},
           {"https://localhost:8080/x",
            "http://localhost:8080/x",
            {"http://localhost:8080", "https://localhost:8080"},
            false},
           // Explicit origins, for API URLs that are not https://host:443.
           {"http://127.0.0.1:8080/api/x",
            "http://127.0.0.1:8080/api/y",
            {"http://127.0.0.1:8080"},
            true},
           {"http://127.0.0.1:8080/api/x",
            "http://127.0.0.1:8080/api/y",
            {"127.0.0.1:8080"},
            false},
           {"http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x", {"127.0.0.1"}, false},
           {"https://ghe.example:8443/api/v3/x",
            "https://ghe.example:8443/api/v3/x",
            {"ghe.example:8443"},
            true},
           {"https://ghe.example:8443/x",
            "https://ghe.example:8443/x",
            {"https://GHE.example:8443/api/v3"},
            true},
           {"http://[::1]:99/x", "http://[::1]:99/x", {"http://[::1]:99"}, true},
           // Nothing matches an entry libcurl can't parse, or an empty list.
           {"https://api.github.com/x", "https://api.github.com/x", {"https://"}, false},
           {"https://api.github.com/x", "https://api.github.com/x", {}, false},
       }) {
    EXPECT_EQ(ShouldSendToken("tok", c.url, c.original, c.token_hosts), c.send)
        << c.url << " from " << c.original << " with token_hosts[0] "
        << (c.token_hosts.empty() ? "(none)" : c.token_hosts[0]);
  }
  EXPECT_FALSE(ShouldSendToken("", "https://api.github.com/x", "https://api.github.com/x",
                               {"api.github.com"}));
}

TEST(CheckRedirectTest, RefusesEveryWayFromHttpsToHttp) {
  struct Case {
    std::string from, to;
    bool ok;
  };
  for (const Case& c : std::vector<Case>{
           {"https://a.example/x", "https://b.example/y", true},
           {"http://a.example/x", "https://a.example/x", true},
           {"http://a.example/x", "http://b.example/x", true},
           {"HTTPS://a.example/x", "HTTPS://a.example:8443/x", true},
           {"https://a.example/x", "http://a.example/x", false},
           {"https://a.example/x", "http://b.example:443/y", false},
           {"https://127.0.0.1:8443/x", "http://127.0.0.1:8080/x", false},
           {"HTTPS://a.example/x", "HTTP://a.example/x", false},
       }) {
    const absl::Status status = CheckRedirect(c.from, c.to);
    if (c.ok) {
      EXPECT_THAT(status, IsOk()) << c.from << " -> " << c.to;
    } else {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition,
                                   AllOf(HasSubstr(c.from), HasSubstr(c.to),
                                         HasSubstr("leaves HTTPS for plain HTTP"))))
          << c.from << " -> " << c.to;
    }
  }
}

TEST(CheckRedirectTest, TargetMustBeAnHttpUrl) {
  EXPECT_THAT(CheckRedirect("https://a.example/x", "file:///etc/passwd"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("the redirect from https://a.example/x to"),
                             HasSubstr("only HTTP(S)"))));
  EXPECT_THAT(CheckRedirect("http://a.example/x", "http://a.example/a b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("whitespace")));
}

}  // namespace
}  // namespace hub::download_internal
