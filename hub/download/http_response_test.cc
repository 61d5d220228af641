#include "hub/download/http_response.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace hub {
namespace {

HttpResponseHead Parse(const std::vector<std::string>& lines) {
  HttpResponseHead head;
  for (const std::string& line : lines) head.AddLine(line + "\r\n");
  return head;
}

TEST(HttpResponseHeadTest, ReadsTheFieldsTheDownloaderUses) {
  const HttpResponseHead head = Parse({
      "HTTP/1.1 206 Partial Content",
      "Content-Length: 100",
      "content-range: bytes 100-199/1000",
      "ETag: \"abc\"",
      "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT",
      "Accept-Ranges: bytes",
      "Location:   https://example.com/x  ",
      "Retry-After: 5",
  });
  EXPECT_EQ(head.status, 206);
  EXPECT_EQ(head.reason, "Partial Content");
  EXPECT_EQ(head.content_length, 100);
  EXPECT_EQ(head.content_range, "bytes 100-199/1000");
  EXPECT_EQ(head.etag, "\"abc\"");
  EXPECT_EQ(head.last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_TRUE(head.accept_ranges);
  EXPECT_EQ(head.location, "https://example.com/x");
  EXPECT_EQ(head.retry_after, "5");
  EXPECT_FALSE(head.chunked);
}

TEST(HttpResponseHeadTest, AStatusLineStartsOver) {
  // A redirect's fields must not leak into the final response.
  const HttpResponseHead head = Parse({"HTTP/1.1 302 Found", "Location: /b", "Content-Length: 5",
                                       "HTTP/2 200", "Transfer-Encoding: chunked"});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.reason, "");
  EXPECT_EQ(head.location, "");
  EXPECT_EQ(head.content_length, -1);
  EXPECT_TRUE(head.chunked);
}

TEST(HttpResponseHeadTest, IgnoresMalformedValues) {
  const HttpResponseHead head = Parse({"HTTP/1.1 2000 Weird", "Content-Length: -5",
                                       "Content-Length 7", "Accept-Ranges: none", "no colon"});
  EXPECT_EQ(head.status, 0);
  EXPECT_EQ(head.content_length, -1);
  EXPECT_FALSE(head.accept_ranges);
  EXPECT_EQ(Parse({"Content-Length: 12abc"}).content_length, -1);
  EXPECT_EQ(Parse({"Content-Length: 99999999999999999999"}).content_length, -1);
}

TEST(ParseContentRangeTest, Ranges) {
  const std::optional<ContentRange> r = ParseContentRange("bytes 0-99/100");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->start, 0);
  EXPECT_EQ(r->end, 99);
  EXPECT_EQ(r->total, 100);
  const std::optional<ContentRange> unknown = ParseContentRange("bytes 5-9/*");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->total, -1);
  for (const char* bad :
       {"", "bytes", "bytes */100", "bytes 10-5/100", "bytes 0-100/100", "items 0-1/2",
        "bytes -1-5/10", "bytes 0-5", "bytes 1 -5/10", "bytes 0-5/10x"}) {
    EXPECT_FALSE(ParseContentRange(bad).has_value()) << bad;
  }
}

TEST(ParseUnsatisfiedRangeTest, Total) {
  EXPECT_EQ(ParseUnsatisfiedRange("bytes */1000"), 1000);
  EXPECT_EQ(ParseUnsatisfiedRange("bytes 0-1/1000"), std::nullopt);
  EXPECT_EQ(ParseUnsatisfiedRange("bytes */"), std::nullopt);
}

TEST(ParseRetryAfterTest, SecondsAndDates) {
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2015, 10, 21, 7, 27, 0), absl::UTCTimeZone());
  EXPECT_EQ(ParseRetryAfter("120", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), absl::Seconds(60));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
}

TEST(IsStrongEtagTest, WeakTagsCantValidateRanges) {
  EXPECT_TRUE(IsStrongEtag("\"abc\""));
  EXPECT_FALSE(IsStrongEtag("W/\"abc\""));
  EXPECT_FALSE(IsStrongEtag(""));
}

}  // namespace
}  // namespace hub
