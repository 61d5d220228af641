#include "hub/download/http_response.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hub {
namespace {

// A non-negative decimal with nothing else around it.
std::optional<int64_t> ParseCount(absl::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (const char c : text) {
    if (!absl::ascii_isdigit(c)) return std::nullopt;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;
  return value;
}

}  // namespace

void HttpResponseHead::AddLine(absl::string_view line) {
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    *this = HttpResponseHead();
    // "HTTP/1.1 206 Partial Content" or "HTTP/2 200"
    const std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    if (parts.size() >= 2 && parts[1].size() == 3) {
      int code = 0;
      if (absl::SimpleAtoi(parts[1], &code) && code >= 100 && code <= 599) status = code;
    }
    if (parts.size() == 3) reason = std::string(parts[2]);
    return;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return;
  const absl::string_view name = line.substr(0, colon);
  const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (absl::EqualsIgnoreCase(name, "Content-Length")) {
    content_length = ParseCount(value).value_or(-1);
  } else if (absl::EqualsIgnoreCase(name, "ETag")) {
    etag = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "Last-Modified")) {
    last_modified = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "Content-Range")) {
    content_range = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "Location")) {
    location = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "Retry-After")) {
    retry_after = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "Accept-Ranges")) {
    accept_ranges = absl::EqualsIgnoreCase(value, "bytes");
  } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
    chunked = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
  }
}

std::optional<ContentRange> ParseContentRange(absl::string_view value) {
  if (!absl::ConsumePrefix(&value, "bytes ")) return std::nullopt;
  const size_t dash = value.find('-');
  const size_t slash = value.find('/');
  if (dash == absl::string_view::npos || slash == absl::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  const std::optional<int64_t> start = ParseCount(value.substr(0, dash));
  const std::optional<int64_t> end = ParseCount(value.substr(dash + 1, slash - dash - 1));
  const absl::string_view total_text = value.substr(slash + 1);
  if (!start || !end || *end < *start) return std::nullopt;
  ContentRange range{*start, *end, -1};
  if (total_text != "*") {
    const std::optional<int64_t> total = ParseCount(total_text);
    if (!total || *end >= *total) return std::nullopt;
    range.total = *total;
  }
  return range;
}

std::optional<int64_t> ParseUnsatisfiedRange(absl::string_view value) {
  if (!absl::ConsumePrefix(&value, "bytes */")) return std::nullopt;
  return ParseCount(value);
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (const std::optional<int64_t> seconds = ParseCount(value)) {
    return absl::Seconds(*seconds);
  }
  // IMF-fixdate, the form HTTP/1.1 servers must send.
  absl::Time when;
  std::string error;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(value), absl::UTCTimeZone(), &when,
                       &error)) {
    return std::nullopt;
  }
  return when > now ? when - now : absl::ZeroDuration();
}

}  // namespace hub
