// HttpGet's rules (retries, redirects, the token's scope) through
// FakeHttpTransport: exact and fast. http_get_test.cc runs the same calls
// over curl against loopback servers.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/cancellation.h"
#include "hub/base/status_matchers.h"
#include "hub/download/fake_http_transport.h"
#include "hub/download/http_get.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class HttpGetRulesTest : public ::testing::Test {
 protected:
  HttpGetRulesTest() {
    options_.transport = &fake_;
    options_.github_token = "secret";
    options_.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };
  }

  std::vector<std::string> Urls() const {
    std::vector<std::string> urls;
    for (const HttpRequest& r : fake_.requests()) urls.push_back(r.url);
    return urls;
  }

  FakeHttpTransport fake_;
  HttpGetOptions options_;
  std::vector<absl::Duration> sleeps_;
};

TEST_F(HttpGetRulesTest, Retries5xxThenAnswers) {
  const std::string url = "https://api.github.com/x";
  fake_.Add(url, {.status = 503, .reason = "Service Unavailable"});
  fake_.Add(url, {.status = 502, .reason = "Bad Gateway"});
  fake_.Add(url, {.status = 200, .body = {"[1,", "2]"}});
  absl::StatusOr<HttpGetResponse> r = HttpGet(url, options_);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "[1,2]");
  EXPECT_EQ(r->attempts, 3);
  EXPECT_EQ(sleeps_.size(), 2);
  EXPECT_EQ(fake_.requests().size(), 3);
}

TEST_F(HttpGetRulesTest, OnRetryIsToldOfEachRetryAndWhy) {
  const std::string url = "https://api.github.com/x";
  fake_.Add(url, {.status = 503, .reason = "Service Unavailable"});
  fake_.Add(url, {.status = 502, .reason = "Bad Gateway"});
  fake_.Add(url, {.status = 200});
  std::vector<std::string> told;
  options_.on_retry = [&told](const std::string& u, int attempt, int max_attempts,
                              const absl::Status& why) {
    told.push_back(absl::StrCat(u, " ", attempt, "/", max_attempts, " ", why.message()));
  };
  ASSERT_THAT(HttpGet(url, options_).status(), IsOk());
  ASSERT_EQ(told.size(), 2);
  EXPECT_THAT(told[0], AllOf(HasSubstr(url + " 2/3"), HasSubstr("503")));
  EXPECT_THAT(told[1], AllOf(HasSubstr(url + " 3/3"), HasSubstr("502")));
}

// Ctrl-C during the wait before a retry ends the call: no further request.
TEST_F(HttpGetRulesTest, CancellationDuringTheRetryWaitStopsWithoutAnotherRequest) {
  const std::string url = "https://api.github.com/x";
  fake_.Add(url, {.status = 503, .reason = "Service Unavailable"});
  fake_.Add(url, {.status = 200});
  options_.sleep = [](absl::Duration /*d*/) { RequestCancellation(); };
  const absl::StatusOr<HttpGetResponse> r = HttpGet(url, options_);
  ResetCancellation();
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("interrupted")));
  EXPECT_EQ(fake_.requests().size(), 1);
}

TEST_F(HttpGetRulesTest, TheLastAttemptsAnswerIsReturnedAfterMaxAttempts) {
  const std::string url = "https://api.github.com/x";
  fake_.Add(url, {.status = 500, .reason = "Internal Server Error"});
  options_.max_attempts = 2;
  absl::StatusOr<HttpGetResponse> r = HttpGet(url, options_);
  // The last attempt's answer is returned as an answer, not an error.
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(sleeps_.size(), 1);
}

TEST_F(HttpGetRulesTest, RetriesAResetConnection) {
  const std::string url = "https://api.github.com/x";
  fake_.Add(url, {.body = {"par", "tial"}, .reset_after_chunks = 1});
  fake_.Add(url, {.body = {"whole"}});
  absl::StatusOr<HttpGetResponse> r = HttpGet(url, options_);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->body, "whole");
  EXPECT_EQ(r->attempts, 2);
}

TEST_F(HttpGetRulesTest, DoesNotRetry4xx) {
  const std::string url = "https://api.github.com/x";
  fake_.Add(url, {.status = 404, .reason = "Not Found"});
  absl::StatusOr<HttpGetResponse> r = HttpGet(url, options_);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(HttpGetRulesTest, RefusesARedirectFromHttpsToHttpWithoutRequestingIt) {
  fake_.Add("https://example.com/a", {.status = 302, .location = "http://example.com/b"});
  fake_.Add("http://example.com/b", {.body = {"insecure"}});
  EXPECT_THAT(
      HttpGet("https://example.com/a", options_),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("https://example.com/a"), HasSubstr("http://example.com/b"))));
  EXPECT_THAT(Urls(), ElementsAre("https://example.com/a"));
}

TEST_F(HttpGetRulesTest, FollowsRedirectsHopByHop) {
  fake_.Add("https://example.com/a", {.status = 301, .location = "https://example.com/b"});
  fake_.Add("https://example.com/b", {.status = 307, .location = "https://cdn.example.com/c"});
  fake_.Add("https://cdn.example.com/c", {.body = {"here"}});
  absl::StatusOr<HttpGetResponse> r = HttpGet("https://example.com/a", options_);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->body, "here");
  EXPECT_EQ(r->final_url, "https://cdn.example.com/c");
  EXPECT_THAT(Urls(), ElementsAre("https://example.com/a", "https://example.com/b",
                                  "https://cdn.example.com/c"));
}

TEST_F(HttpGetRulesTest, TooManyRedirectsIsAnError) {
  fake_.Add("https://example.com/a", {.status = 302, .location = "https://example.com/a"});
  options_.max_redirects = 3;
  EXPECT_THAT(HttpGet("https://example.com/a", options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("too many redirects")));
  EXPECT_EQ(fake_.requests().size(), 4);
}

TEST_F(HttpGetRulesTest, TokenGoesToTheTokenHostOnlyAndNotAcrossARedirect) {
  fake_.Add("https://api.github.com/x", {.status = 302, .location = "https://codeload.example/y"});
  fake_.Add("https://codeload.example/y", {.body = {"zip"}});
  absl::StatusOr<HttpGetResponse> r = HttpGet("https://api.github.com/x", options_);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_TRUE(r->sent_token);
  const std::vector<HttpRequest> requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2);
  EXPECT_THAT(requests[0].headers, Contains("Authorization: token secret"));
  EXPECT_THAT(requests[1].headers, Not(Contains(HasSubstr("Authorization"))));
}

TEST_F(HttpGetRulesTest, NoTokenForOtherHostsOrWhenTurnedOff) {
  fake_.Add("https://example.com/x", {.body = {"x"}});
  absl::StatusOr<HttpGetResponse> r = HttpGet("https://example.com/x", options_);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_FALSE(r->sent_token);
  fake_.Add("https://api.github.com/x", {.body = {"x"}});
  options_.send_token = false;
  r = HttpGet("https://api.github.com/x", options_);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_FALSE(r->sent_token);
  for (const HttpRequest& request : fake_.requests()) {
    EXPECT_THAT(request.headers, Not(Contains(HasSubstr("Authorization"))));
  }
}

TEST_F(HttpGetRulesTest, ALongerBodyThanAllowedIsResourceExhausted) {
  fake_.Add("https://example.com/x", {.body = {"12345", "67890"}});
  options_.max_body_bytes = 8;
  EXPECT_THAT(HttpGet("https://example.com/x", options_),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("longer than 8 bytes")));
}

}  // namespace
}  // namespace hub
