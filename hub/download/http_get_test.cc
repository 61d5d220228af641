#include "hub/download/http_get.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/download/http_error.h"
#include "tests/servers/fault_server.h"

namespace hub {
namespace {

using ::hub::testing::FaultServer;
using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class HttpGetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string root = TestDir(
        absl::StrCat("root_", ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::ofstream(root + "/page.json") << R"([{"name":"main"}])";
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    options_.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };
  }
  std::unique_ptr<FaultServer> server_;
  HttpGetOptions options_;
  std::vector<absl::Duration> sleeps_;
};

TEST_F(HttpGetTest, ReturnsTheBodyAndStatus) {
  HUB_ASSERT_OK_AND_ASSIGN(const HttpGetResponse r, HttpGet(server_->Url("/page.json"), options_));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"([{"name":"main"}])");
  EXPECT_EQ(r.attempts, 1);
}

TEST_F(HttpGetTest, NotFoundIsAnAnswerNotAnError) {
  HUB_ASSERT_OK_AND_ASSIGN(const HttpGetResponse r, HttpGet(server_->Url("/nope"), options_));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.attempts, 1);
}

TEST_F(HttpGetTest, RetriesServerErrorsThenAnswers) {
  HUB_ASSERT_OK_AND_ASSIGN(const HttpGetResponse r,
                           HttpGet(server_->Url("/page.json?fail_first=2&status=503"), options_));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_THAT(sleeps_, SizeIs(2));
}

TEST_F(HttpGetTest, PersistentServerErrorIsTheLastAnswer) {
  HUB_ASSERT_OK_AND_ASSIGN(const HttpGetResponse r,
                           HttpGet(server_->Url("/page.json?status=500"), options_));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.attempts, 3);
}

TEST_F(HttpGetTest, FollowsRedirectsWithoutCarryingTheToken) {
  options_.github_token = "tok";
  options_.token_hosts = {server_->base_url()};
  const std::string target = server_->UrlOnHost("localhost", "/page.json");
  HUB_ASSERT_OK_AND_ASSIGN(
      const HttpGetResponse r,
      HttpGet(server_->Url(absl::StrCat("/r?redirect=", hub::testing::QueryEscape(target))),
              options_));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.final_url, target);
  HUB_ASSERT_OK_AND_ASSIGN(const auto log, server_->WaitForRequests(2));
  EXPECT_EQ(log[0].authorization, "token tok");
  EXPECT_EQ(log[1].authorization, "");
}

TEST_F(HttpGetTest, TokenIsNotSentAcrossARedirectToAnotherPortOfTheSameHost) {
  const std::string other_root = TestDir("other_root");
  std::ofstream(other_root + "/page.json") << "[]";
  HUB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<FaultServer> other,
                           FaultServer::Start({.root = other_root}));
  options_.github_token = "tok";
  // Both allowed, and "127.0.0.1" once meant every port of the host.
  options_.token_hosts = {server_->base_url(), other->base_url(), "127.0.0.1"};
  const std::string target = other->Url("/page.json");
  HUB_ASSERT_OK_AND_ASSIGN(
      const HttpGetResponse r,
      HttpGet(server_->Url(absl::StrCat("/r?redirect=", hub::testing::QueryEscape(target))),
              options_));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.final_url, target);
  HUB_ASSERT_OK_AND_ASSIGN(const auto at_start, server_->WaitForRequests(1));
  EXPECT_EQ(at_start[0].authorization, "token tok");
  HUB_ASSERT_OK_AND_ASSIGN(const auto at_other, other->WaitForRequests(1));
  EXPECT_EQ(at_other[0].authorization, "");
}

TEST_F(HttpGetTest, RedirectFromHttpsToHttpIsRefused) {
  const std::string tls_root = TestDir("tls_root");
  HUB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<FaultServer> tls,
                           FaultServer::Start({.root = tls_root, .tls = true}));
  options_.ca_file = tls->ca_file();
  const std::string target = server_->Url("/page.json");
  const std::string start =
      tls->Url(absl::StrCat("/r?redirect=", hub::testing::QueryEscape(target)));
  EXPECT_THAT(HttpGet(start, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(absl::StrCat("redirect from ", start, " to ", target)),
                             HasSubstr("plain HTTP"))));
  HUB_ASSERT_OK_AND_ASSIGN(const auto at_tls, tls->WaitForRequests(1));
  EXPECT_THAT(at_tls, SizeIs(1));
  HUB_ASSERT_OK_AND_ASSIGN(const auto at_plain, server_->ReadLog());
  EXPECT_THAT(at_plain, IsEmpty());
}

TEST_F(HttpGetTest, SendTokenFalseSendsNone) {
  options_.github_token = "tok";
  options_.token_hosts = {server_->base_url()};
  options_.send_token = false;
  ASSERT_THAT(HttpGet(server_->Url("/page.json"), options_).status(), IsOk());
  HUB_ASSERT_OK_AND_ASSIGN(const auto log, server_->WaitForRequests(1));
  EXPECT_EQ(log[0].authorization, "");
}

TEST_F(HttpGetTest, BodyLimit) {
  options_.max_body_bytes = 4;
  EXPECT_THAT(HttpGet(server_->Url("/page.json"), options_),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("longer than 4 bytes")));
}

TEST_F(HttpGetTest, ConnectionRefusedIsUnavailableAfterRetries) {
  options_.max_attempts = 2;
  // A port nobody listens on: the server's own, once it is gone.
  const std::string url = server_->Url("/page.json");
  server_.reset();
  EXPECT_THAT(HttpGet(url, options_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("gave up after 2 attempts")));
}

TEST_F(HttpGetTest, BadUrl) {
  EXPECT_THAT(HttpGet("file:///etc/passwd", options_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hub
