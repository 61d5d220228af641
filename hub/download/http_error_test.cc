#include "hub/download/http_error.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hub {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HttpErrorTest, SaysStatusReasonAndUrl) {
  const absl::Status s = HttpError(404, "Not Found", "https://h/x", "");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "HTTP Error 404: Not Found (GET https://h/x)");
  EXPECT_EQ(HttpStatusOf(s), 404);
}

// An error page is summarised, never dumped: a 404's HTML (with its
// newlines) is left out of the message.
TEST(HttpErrorTest, LeavesAnHtmlPageOut) {
  const absl::Status s =
      HttpError(404, "Not Found", "https://h/x",
                "<!DOCTYPE html>\n<html>\n<head><title>Page not found</title></head>\n"
                "<body>\n<p>lots of markup</p>\n</body>\n</html>\n");
  EXPECT_EQ(s.message(), "HTTP Error 404: Not Found (GET https://h/x)");
}

// An API's JSON answer keeps its "message", and only that.
TEST(HttpErrorTest, QuotesOnlyTheJsonMessage) {
  const absl::Status s = HttpError(
      403, "", "https://api/x",
      R"({"message": "API rate limit exceeded for 1.2.3.4.", "documentation_url": "https://d"})");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "HTTP Error 403: Forbidden (GET https://api/x); the server said: API rate limit "
            "exceeded for 1.2.3.4.");
  EXPECT_THAT(HttpError(500, "", "u", R"({"message": "a\nb"})").message(),
              HasSubstr("the server said: a\\nb"));
  EXPECT_THAT(HttpError(500, "", "u", std::string(1000, 'x')).message(), Not(HasSubstr("xxx")));
}

}  // namespace
}  // namespace hub
